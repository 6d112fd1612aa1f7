/*  The draft poller: argument checks (EFAULT, ENOTSOCK, EBADF, EINVAL),
    registrations and their changes, waits with timeouts -1/0/positive (EAGAIN
    when nothing came), several events at once, plain descriptors, a poller
    descriptor (zmq_poller_fd) for thread-safe sockets, ETERM once the context
    shuts down, EINTR when a signal handler runs, and two threads polling one
    socket through pollers of their own. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include <limits.h>
#include <poll.h>
#include <pthread.h>

static void *ctx;

static void test_bad_arguments (void)
{
    void *null_poller = NULL;
    zmq_poller_event_t event;
    void *s = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    zmq_fd_t fd = 0;
    CHECK_ERR (zmq_poller_destroy (NULL), EFAULT);
    CHECK_ERR (zmq_poller_destroy (&null_poller), EFAULT);
    CHECK_ERR (zmq_poller_size (NULL), EFAULT);
    CHECK_ERR (zmq_poller_size (&null_poller), EFAULT);
    CHECK_ERR (zmq_poller_add (NULL, s, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ERR (zmq_poller_add (&null_poller, s, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ERR (zmq_poller_modify (NULL, s, ZMQ_POLLIN), EFAULT);
    CHECK_ERR (zmq_poller_remove (NULL, s), EFAULT);
    CHECK_ERR (zmq_poller_add_fd (NULL, 0, NULL, ZMQ_POLLIN), EFAULT);
    CHECK_ERR (zmq_poller_modify_fd (NULL, 0, ZMQ_POLLIN), EFAULT);
    CHECK_ERR (zmq_poller_remove_fd (NULL, 0), EFAULT);
    CHECK_ERR (zmq_poller_wait (NULL, &event, 0), EFAULT);
    CHECK_ERR (zmq_poller_wait_all (&null_poller, &event, 1, 0), EFAULT);
    CHECK_ERR (zmq_poller_fd (&null_poller, &fd), EFAULT);

    void *poller = CHECK_PTR (zmq_poller_new ());
    CHECK_ERR (zmq_poller_add (poller, NULL, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ERR (zmq_poller_modify (poller, NULL, ZMQ_POLLIN), ENOTSOCK);
    CHECK_ERR (zmq_poller_remove (poller, NULL), ENOTSOCK);
    CHECK_ERR (zmq_poller_add_fd (poller, -1, NULL, ZMQ_POLLIN), EBADF);
    CHECK_ERR (zmq_poller_modify_fd (poller, -1, ZMQ_POLLIN), EBADF);
    CHECK_ERR (zmq_poller_remove_fd (poller, -1), EBADF);
    CHECK_ERR (zmq_poller_wait (poller, NULL, 0), EFAULT);
    CHECK_ERR (zmq_poller_wait_all (poller, NULL, 1, 0), EFAULT);
    CHECK_ERR (zmq_poller_wait_all (poller, &event, -1, 0), EINVAL);
    /*  Nothing registered: EAGAIN at once, EFAULT rather than sleep forever. */
    CHECK_ERR (zmq_poller_wait (poller, &event, 0), EAGAIN);
    CHECK (event.socket == NULL && event.events == 0);
    CHECK_ERR (zmq_poller_wait (poller, &event, -1), EFAULT);
    CHECK_ERR (zmq_poller_wait_all (poller, &event, 0, 0), EAGAIN);
    CHECK_ERR (zmq_poller_wait_all (poller, &event, 0, -1), EFAULT);
    /*  Registered but asking for nothing: the same. */
    CHECK_RC (zmq_poller_add (poller, s, NULL, 0));
    CHECK_ERR (zmq_poller_wait_all (poller, &event, 1, 0), EAGAIN);
    CHECK_ERR (zmq_poller_wait_all (poller, &event, 1, -1), EFAULT);
    CHECK_RC (zmq_poller_destroy (&poller));
    CHECK (poller == NULL);
    CHECK_RC (zmq_close (s));
}

static void test_registrations (void)
{
    void *s = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    void *poller = CHECK_PTR (zmq_poller_new ());
    CHECK_EQ (zmq_poller_size (poller), 0);
    CHECK_RC (zmq_poller_add (poller, s, NULL, ZMQ_POLLIN));
    CHECK_EQ (zmq_poller_size (poller), 1);
    CHECK_ERR (zmq_poller_add (poller, s, NULL, ZMQ_POLLIN), EINVAL);
    CHECK_RC (zmq_poller_modify (poller, s, 0));
    CHECK_ERR (zmq_poller_modify (poller, s, SHRT_MAX), EINVAL);
    CHECK_EQ (zmq_poller_size (poller), 1);

    int p[2];
    CHECK (pipe (p) == 0);
    CHECK_ERR (zmq_poller_add_fd (poller, p[0], NULL, SHRT_MAX), EINVAL);
    CHECK_ERR (zmq_poller_remove_fd (poller, p[0]), EINVAL);
    CHECK_ERR (zmq_poller_modify_fd (poller, p[0], ZMQ_POLLIN), EINVAL);
    CHECK_RC (zmq_poller_add_fd (poller, p[0], NULL, ZMQ_POLLIN));
    CHECK_ERR (zmq_poller_add_fd (poller, p[0], NULL, ZMQ_POLLIN), EINVAL);
    CHECK_EQ (zmq_poller_size (poller), 2);
    CHECK_RC (zmq_poller_remove (poller, s));
    CHECK_ERR (zmq_poller_remove (poller, s), EINVAL);
    CHECK_ERR (zmq_poller_modify (poller, s, ZMQ_POLLIN), EINVAL);
    CHECK_EQ (zmq_poller_size (poller), 1);
    CHECK_RC (zmq_poller_remove_fd (poller, p[0]));
    CHECK_EQ (zmq_poller_size (poller), 0);
    CHECK_ERR (zmq_poller_add (poller, s, NULL, SHRT_MAX), EINVAL);
    CHECK_RC (zmq_poller_destroy (&poller));
    close (p[0]);
    close (p[1]);
    CHECK_RC (zmq_close (s));
}

static void test_events (void)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://poller-events"));
    CHECK_RC (zmq_connect (push, "inproc://poller-events"));
    void *poller = CHECK_PTR (zmq_poller_new ());
    int tag_pull, tag_push, tag_fd;
    CHECK_RC (zmq_poller_add (poller, pull, &tag_pull, ZMQ_POLLIN));
    zmq_poller_event_t ev;
    CHECK_ERR (zmq_poller_wait (poller, &ev, 0), EAGAIN);
    CHECK_ERR (zmq_poller_wait (poller, &ev, 50), EAGAIN);

    SEND_STR (push, "hello", 0);
    CHECK_RC (zmq_poller_wait (poller, &ev, -1));
    CHECK (ev.socket == pull && ev.user_data == &tag_pull);
    CHECK_EQ (ev.events, ZMQ_POLLIN);
    CHECK_EQ (ev.fd, -1);
    /*  Level-triggered: still ready while not read. */
    CHECK_RC (zmq_poller_wait (poller, &ev, 0));
    RECV_STR (pull, "hello", 0);
    CHECK_ERR (zmq_poller_wait (poller, &ev, 0), EAGAIN);

    /*  Several items at once, in the order they were added; the rest of the
        array is cleared. */
    CHECK_RC (zmq_poller_add (poller, push, &tag_push, ZMQ_POLLOUT));
    int p[2];
    CHECK (pipe (p) == 0);
    CHECK_RC (zmq_poller_add_fd (poller, p[0], &tag_fd, ZMQ_POLLIN));
    CHECK (write (p[1], "x", 1) == 1);
    SEND_STR (push, "again", 0);
    zmq_poller_event_t evs[4];
    memset (evs, 0x55, sizeof evs);
    CHECK_EQ (zmq_poller_wait_all (poller, evs, 4, -1), 3);
    CHECK (evs[0].socket == pull && evs[0].events == ZMQ_POLLIN);
    CHECK (evs[1].socket == push && evs[1].events == ZMQ_POLLOUT);
    CHECK (evs[1].user_data == &tag_push);
    CHECK (evs[2].socket == NULL && evs[2].fd == p[0]);
    CHECK (evs[2].user_data == &tag_fd && evs[2].events == ZMQ_POLLIN);
    CHECK (evs[3].socket == NULL && evs[3].events == 0);
    CHECK (evs[3].user_data == NULL);
    /*  At most as many as asked for. */
    CHECK_EQ (zmq_poller_wait_all (poller, evs, 2, 0), 2);

    /*  Asking for nothing, then for something again. */
    CHECK_RC (zmq_poller_modify (poller, push, 0));
    CHECK_RC (zmq_poller_modify_fd (poller, p[0], 0));
    CHECK_EQ (zmq_poller_wait_all (poller, evs, 4, 0), 1);
    CHECK (evs[0].socket == pull);
    RECV_STR (pull, "again", 0);
    CHECK_ERR (zmq_poller_wait_all (poller, evs, 4, 0), EAGAIN);
    CHECK_RC (zmq_poller_modify_fd (poller, p[0], ZMQ_POLLIN));
    CHECK_EQ (zmq_poller_wait_all (poller, evs, 4, 0), 1);
    CHECK (evs[0].fd == p[0]);
    char c;
    CHECK (read (p[0], &c, 1) == 1);
    CHECK_ERR (zmq_poller_wait_all (poller, evs, 4, 0), EAGAIN);

    CHECK_RC (zmq_poller_destroy (&poller));
    close (p[0]);
    close (p[1]);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

/*  A message sent from another thread wakes a poller waiting forever. */
static void *send_later (void *arg)
{
    msleep (100);
    void *s = arg;
    SEND_STR (s, "late", 0);
    return NULL;
}

static void test_wakes (const char *endpoint)
{
    void *server = SOCKET (ctx, ZMQ_SERVER);
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_bind (server, endpoint));
    char ep[128];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK_RC (zmq_connect (client, ep));
    void *poller = CHECK_PTR (zmq_poller_new ());
    CHECK_RC (zmq_poller_add (poller, server, NULL, ZMQ_POLLIN));
    /*  Thread-safe sockets give the poller a descriptor. */
    zmq_fd_t fd;
    CHECK_RC (zmq_poller_fd (poller, &fd));
    zmq_poller_event_t ev;
    CHECK_ERR (zmq_poller_wait (poller, &ev, 0), EAGAIN);

    pthread_t t;
    CHECK (pthread_create (&t, NULL, send_later, client) == 0);
    CHECK_RC (zmq_poller_wait (poller, &ev, -1));
    CHECK (ev.socket == server && ev.events == ZMQ_POLLIN);
    pthread_join (t, NULL);
    RECV_STR (server, "late", 0);

    /*  The descriptor becomes readable when a message comes. */
    CHECK_ERR (zmq_poller_wait (poller, &ev, 0), EAGAIN);
    CHECK (pthread_create (&t, NULL, send_later, client) == 0);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ (poll (&p, 1, 5000), 1);
    pthread_join (t, NULL);
    CHECK_RC (zmq_poller_wait (poller, &ev, 1000));
    RECV_STR (server, "late", 0);

    CHECK_RC (zmq_poller_destroy (&poller));
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

/*  Two threads, each with a poller of its own, watch one SERVER: a message
    wakes both. */
static void *poll_once (void *arg)
{
    void *poller = arg;
    zmq_poller_event_t ev;
    intptr_t ok = zmq_poller_wait (poller, &ev, 5000) == 0 && ev.events == ZMQ_POLLIN;
    return (void *) ok;
}

static void test_two_pollers (void)
{
    void *server = SOCKET (ctx, ZMQ_SERVER);
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_bind (server, "inproc://two-pollers"));
    CHECK_RC (zmq_connect (client, "inproc://two-pollers"));
    void *p1 = CHECK_PTR (zmq_poller_new ());
    void *p2 = CHECK_PTR (zmq_poller_new ());
    CHECK_RC (zmq_poller_add (p1, server, NULL, ZMQ_POLLIN));
    CHECK_RC (zmq_poller_add (p2, server, NULL, ZMQ_POLLIN));
    pthread_t t1, t2;
    CHECK (pthread_create (&t1, NULL, poll_once, p1) == 0);
    CHECK (pthread_create (&t2, NULL, poll_once, p2) == 0);
    msleep (100);
    SEND_STR (client, "both", 0);
    void *r1, *r2;
    pthread_join (t1, &r1);
    pthread_join (t2, &r2);
    CHECK (r1 && r2);
    RECV_STR (server, "both", 0);
    CHECK_RC (zmq_poller_destroy (&p1));
    CHECK_RC (zmq_poller_destroy (&p2));
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

static volatile sig_atomic_t handled;

static void on_signal (int sig)
{
    (void) sig;
    handled = 1;
}

static void *signal_later (void *arg)
{
    msleep (100);
    pthread_kill (*(pthread_t *) arg, SIGUSR1);
    return NULL;
}

static void test_eintr (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction (SIGUSR1, &sa, NULL);
    void *s = PLAIN_SOCKET (ctx, ZMQ_PULL);
    void *poller = CHECK_PTR (zmq_poller_new ());
    CHECK_RC (zmq_poller_add (poller, s, NULL, ZMQ_POLLIN));
    pthread_t self = pthread_self (), t;
    CHECK (pthread_create (&t, NULL, signal_later, &self) == 0);
    zmq_poller_event_t ev;
    CHECK_ERR (zmq_poller_wait (poller, &ev, 10000), EINTR);
    CHECK (handled);
    pthread_join (t, NULL);
    CHECK_RC (zmq_poller_destroy (&poller));
    SET_INT (s, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (s));
}

static void *shutdown_later (void *arg)
{
    msleep (100);
    zmq_ctx_shutdown (arg);
    return NULL;
}

static void test_eterm (void)
{
    void *c = CHECK_PTR (zmq_ctx_new ());
    void *s = PLAIN_SOCKET (c, ZMQ_CLIENT);
    void *poller = CHECK_PTR (zmq_poller_new ());
    CHECK_RC (zmq_poller_add (poller, s, NULL, ZMQ_POLLIN));
    pthread_t t;
    CHECK (pthread_create (&t, NULL, shutdown_later, c) == 0);
    zmq_poller_event_t ev;
    CHECK_ERR (zmq_poller_wait (poller, &ev, -1), ETERM);
    pthread_join (t, NULL);
    CHECK_RC (zmq_poller_destroy (&poller));
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (c));
}

int main (void)
{
    TEST_TIMEOUT (40);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_bad_arguments ();
    test_registrations ();
    test_events ();
    test_wakes ("inproc://poller-wakes");
    test_wakes ("tcp://127.0.0.1:*");
    test_two_pollers ();
    test_eintr ();
    test_eterm ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
