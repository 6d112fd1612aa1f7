/*  A signal handler that runs while a call blocks makes it return -1 with
    EINTR, as zmq_recv(3) documents and as libzmq does whether the handler was
    installed with signal() (which asks for SA_RESTART), with sigaction() and
    no flags, or with SA_RESTART: zmq_send, zmq_recv, zmq_msg_send,
    zmq_msg_recv, zmq_poll and zmq_ctx_term. The socket works afterwards.
    The signal is SIGUSR1, sent to the blocked thread again and again until
    the call returns (SIGALRM belongs to the test's watchdog). */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>

static atomic_int handled;
static atomic_int call_returned;
static pthread_t blocked_thread;
static pthread_t kicker_thread;

static void on_signal (int sig)
{
    (void) sig;
    handled++;
}

enum style { WITH_SIGNAL, WITH_SIGACTION, WITH_SA_RESTART };

static void install (enum style style)
{
    if (style == WITH_SIGNAL) {
        CHECK (signal (SIGUSR1, on_signal) != SIG_ERR);
        return;
    }
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset (&sa.sa_mask);
    sa.sa_flags = style == WITH_SA_RESTART ? SA_RESTART : 0;
    CHECK (sigaction (SIGUSR1, &sa, NULL) == 0);
}

static void *kicker (void *arg)
{
    (void) arg;
    while (!call_returned) {
        msleep (20);
        if (!call_returned)
            pthread_kill (blocked_thread, SIGUSR1);
    }
    return NULL;
}

/*  Starts signalling this thread; the blocking call follows. */
static void kick_start (void)
{
    handled = 0;
    call_returned = 0;
    blocked_thread = pthread_self ();
    CHECK (pthread_create (&kicker_thread, NULL, kicker, NULL) == 0);
}

/*  The call returned with rc and errno e: stop signalling, check EINTR. */
static void kick_stop (int rc, int e, const char *what)
{
    call_returned = 1;
    pthread_join (kicker_thread, NULL);
    if (rc != -1 || e != EINTR)
        TEST_FAIL_ ("%s returned %d (errno %d: %s), expected -1 with EINTR",
                    what, rc, e, zmq_strerror (e));
    CHECK (handled > 0);
}

#define EXPECT_EINTR(call)                                                     \
    do {                                                                       \
        kick_start ();                                                         \
        int rc_ = (call);                                                      \
        kick_stop (rc_, errno, #call);                                         \
    } while (0)

static void test_style (enum style style)
{
    install (style);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    void *b = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    SET_INT (a, ZMQ_SNDHWM, 1);
    SET_INT (a, ZMQ_RCVHWM, 1);
    SET_INT (b, ZMQ_SNDHWM, 1);
    SET_INT (b, ZMQ_RCVHWM, 1);
    CHECK_RC (zmq_bind (a, "inproc://signals"));
    CHECK_RC (zmq_connect (b, "inproc://signals"));
    char buf[16];

    /*  Receiving, forever and with a timeout. */
    EXPECT_EINTR (zmq_recv (a, buf, sizeof buf, 0));
    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init (&msg));
    EXPECT_EINTR (zmq_msg_recv (&msg, a, 0));
    SET_INT (a, ZMQ_RCVTIMEO, 20000);
    EXPECT_EINTR (zmq_recv (a, buf, sizeof buf, 0));
    SET_INT (a, ZMQ_RCVTIMEO, -1);
    SEND_STR (b, "after recv", 0);
    RECV_STR (a, "after recv", 0);

    /*  Sending into a full pipe. */
    int queued = 0;
    do {
        while (zmq_send (b, "fill", 4, ZMQ_DONTWAIT) == 4)
            queued++;
        CHECK_EQ (errno, EAGAIN);
        /*  Full, unless credit for what the peer read earlier was pending. */
    } while (GET_INT (b, ZMQ_EVENTS) & ZMQ_POLLOUT);
    CHECK (queued > 0);
    EXPECT_EINTR (zmq_send (b, "blocked", 7, 0));
    CHECK_RC (zmq_msg_init_size (&msg, 5));
    memcpy (zmq_msg_data (&msg), "later", 5);
    EXPECT_EINTR (zmq_msg_send (&msg, b, 0));
    /*  The interrupted message is still the caller's. */
    CHECK_EQ (zmq_msg_size (&msg), 5);
    CHECK_RC (zmq_msg_close (&msg));
    for (int i = 0; i < queued; i++)
        RECV_STR (a, "fill", 0);
    SEND_STR (b, "after send", 0);
    RECV_STR (a, "after send", 0);

    /*  zmq_poll, and a socket whose peers are across the network. */
    zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
    EXPECT_EINTR (zmq_poll (&item, 1, -1));
    EXPECT_EINTR (zmq_poll (NULL, 0, 20000));
    void *pull = PLAIN_SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "tcp://127.0.0.1:*"));
    EXPECT_EINTR (zmq_recv (pull, buf, sizeof buf, 0));
    CHECK_RC (zmq_close (pull));

    /*  zmq_ctx_term waiting for a socket still open: interrupted, the
        context stays shut down, and a later call finishes the job. */
    CHECK_RC (zmq_close (b));
    EXPECT_EINTR (zmq_ctx_term (ctx));
    CHECK_ERR (zmq_recv (a, buf, sizeof buf, 0), ETERM);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_ctx_term (ctx));

    /*  zmq_ctx_term waiting for a lingering message (LINGER -1, its peer not
        up yet): interrupted too; the message still goes out when the peer
        comes, and a later call returns. */
    void *peer_ctx = CHECK_PTR (zmq_ctx_new ());
    int port;
    const int held = refused_port (&port);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    void *late_ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = PLAIN_SOCKET (late_ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (push, ep));
    SEND_STR (push, "late", 0);
    CHECK_RC (zmq_close (push));
    EXPECT_EINTR (zmq_ctx_term (late_ctx));
    close (held);
    void *receiver = SOCKET (peer_ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (receiver, ep));
    RECV_STR (receiver, "late", 0);
    CHECK_RC (zmq_ctx_term (late_ctx));
    CHECK_RC (zmq_close (receiver));
    CHECK_RC (zmq_ctx_term (peer_ctx));
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_style (WITH_SIGNAL);
    test_style (WITH_SIGACTION);
    test_style (WITH_SA_RESTART);
    return 0;
}
