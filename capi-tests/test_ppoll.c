/*  zmq_ppoll: zmq_poll with a signal mask in force while it waits. A signal
    blocked outside the call but let through by its mask interrupts it
    (EINTR, the handler ran), even one already pending when it starts; with no
    mask it waits like zmq_poll. Sockets and plain descriptors, thread-safe
    sockets included. */
// libzmq: skip zmq_ppoll is absent from libzmq 4.3.4 (it came in 4.3.5)
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include <pthread.h>

static volatile sig_atomic_t handled;

static void on_usr1 (int sig)
{
    (void) sig;
    handled++;
}

static void *signal_later (void *arg)
{
    msleep (100);
    pthread_kill (*(pthread_t *) arg, SIGUSR1);
    return NULL;
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *server = SOCKET (ctx, ZMQ_SERVER);
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_bind (server, "inproc://ppoll"));
    CHECK_RC (zmq_connect (client, "inproc://ppoll"));
    int p[2];
    CHECK (pipe (p) == 0);

    zmq_pollitem_t items[2] = {{server, 0, ZMQ_POLLIN, 0},
                               {NULL, p[0], ZMQ_POLLIN, 0}};
    CHECK_EQ (zmq_ppoll (items, 2, 0, NULL), 0);
    SEND_STR (client, "hi", 0);
    CHECK_EQ (zmq_ppoll (items, 2, -1, NULL), 1);
    CHECK_EQ (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ (items[1].revents, 0);
    RECV_STR (server, "hi", 0);
    CHECK (write (p[1], "x", 1) == 1);
    CHECK_EQ (zmq_ppoll (items, 2, 1000, NULL), 1);
    CHECK_EQ (items[1].revents, ZMQ_POLLIN);
    char c;
    CHECK (read (p[0], &c, 1) == 1);
    CHECK_ERR (zmq_ppoll (items, -1, 0, NULL), EINVAL);

    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction (SIGUSR1, &sa, NULL);
    sigset_t blocked, open;
    sigemptyset (&blocked);
    sigaddset (&blocked, SIGUSR1);
    pthread_sigmask (SIG_BLOCK, &blocked, &open);
    sigdelset (&open, SIGUSR1);

    /*  Pending before the call, let through by the mask: EINTR at once. */
    pthread_kill (pthread_self (), SIGUSR1);
    CHECK_EQ (handled, 0);
    CHECK_ERR (zmq_ppoll (items, 2, 10000, &open), EINTR);
    CHECK_EQ (handled, 1);

    /*  Coming while the call waits. */
    pthread_t self = pthread_self (), t;
    CHECK (pthread_create (&t, NULL, signal_later, &self) == 0);
    CHECK_ERR (zmq_ppoll (items, 2, 10000, &open), EINTR);
    pthread_join (t, NULL);
    CHECK_EQ (handled, 2);

    /*  Without a mask the signal stays blocked: the wait runs out. */
    CHECK (pthread_create (&t, NULL, signal_later, &self) == 0);
    CHECK_EQ (zmq_ppoll (items, 2, 300, NULL), 0);
    pthread_join (t, NULL);
    CHECK_EQ (handled, 2);
    /*  No items: a sleep the mask's signal still interrupts. */
    CHECK_ERR (zmq_ppoll (NULL, 0, 10000, &open), EINTR);
    CHECK_EQ (handled, 3);
    pthread_sigmask (SIG_SETMASK, &open, NULL);

    close (p[0]);
    close (p[1]);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
