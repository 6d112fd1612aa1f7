/*  Linger keeps libzmq's delivery promise. With the default LINGER (-1),
    messages sent to a tcp (or ipc) peer that is not up yet are delivered
    once it comes, after the sending socket was closed, while zmq_ctx_term
    waits in the main thread or in another one, the peer being a thread or a
    child process; and so are messages queued for a peer that went away and
    comes back after the close (10 of them, and 17,000). LINGER 0 drops them
    and a positive LINGER waits at most that long: zmq_ctx_term returns
    without a peer, and delivers when the peer comes within the linger.

    Each case runs in a child process bounded in time, so a hang or a loss
    is reported by name and the other cases still run. */
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

static char endpoint[128];

/*  A tcp endpoint nobody listens on yet (or, ipc, a path of this process). */
static void pick_endpoint (int ipc)
{
    if (ipc)
        snprintf (endpoint, sizeof endpoint, "ipc://linger-%d.ipc",
                  (int) getpid ());
    else
        snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d",
                  free_port ());
}

/*  Sends n numbered messages: "0", "1", ... */
static void send_numbered (void *s, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[16];
        const int len = snprintf (buf, sizeof buf, "%d", i);
        send_bytes_ (s, buf, (size_t) len, 0, __FILE__, __LINE__);
    }
}

/*  Receives until n numbered messages came in order or 10 s passed without
    one; returns how many came. */
static int recv_numbered (void *s, int n)
{
    SET_INT (s, ZMQ_RCVTIMEO, 10000);
    for (int i = 0; i < n; i++) {
        char buf[16], want[16];
        const int rc = recv_buf (s, buf, sizeof buf, 0);
        if (rc == -1)
            return i;
        snprintf (want, sizeof want, "%d", i);
        if (strcmp (buf, want) != 0)
            TEST_FAIL_ ("message %d is \"%s\"", i, buf);
    }
    return n;
}

/*  A PUSH that connects to the endpoint, queues n messages, and is closed
    with the given LINGER (-2: left at its default). */
static void *queue_and_close (int n, int linger)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    if (linger != -2)
        SET_INT (push, ZMQ_LINGER, linger);
    SET_INT (push, ZMQ_SNDHWM, 0);
    SET_INT (push, ZMQ_SNDTIMEO, 5000);
    CHECK_RC (zmq_connect (push, endpoint));
    send_numbered (push, n);
    CHECK_RC (zmq_close (push));
    return ctx;
}

/* ------------------------------------------------- the late receiver */

struct receiver
{
    int delay_ms;
    int want;
    int got;
};

/*  Binds a PULL (its own context) after a delay and counts what arrives. */
static void *late_receiver (void *arg)
{
    struct receiver *r = (struct receiver *) arg;
    msleep (r->delay_ms);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *pull = PLAIN_SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_LINGER, 0);
    SET_INT (pull, ZMQ_RCVHWM, 0);
    CHECK_RC (zmq_bind (pull, endpoint));
    r->got = recv_numbered (pull, r->want);
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (ctx));
    return NULL;
}

/* ------------------------------------------ peer not up yet, LINGER -1 */

/*  zmq_ctx_term waits in the main thread; a thread binds later. */
static void term_in_main (void *arg)
{
    const int n = *(const int *) arg;
    pick_endpoint (n < 0);
    const int count = n < 0 ? 10 : n;
    void *ctx = queue_and_close (count, -2);
    struct receiver r = {300, count, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, late_receiver, &r) == 0);
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (t, NULL) == 0);
    if (r.got != count)
        TEST_FAIL_ ("%d of %d messages delivered", r.got, count);
}

struct term_job
{
    void *ctx;
    int rc;
};

static void *term_thread (void *arg)
{
    struct term_job *j = (struct term_job *) arg;
    j->rc = zmq_ctx_term (j->ctx);
    return NULL;
}

/*  The peer comes after many reconnect attempts. */
static void comes_much_later (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    void *ctx = queue_and_close (10, -2);
    struct receiver r = {1500, 10, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, late_receiver, &r) == 0);
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (t, NULL) == 0);
    if (r.got != 10)
        TEST_FAIL_ ("%d of 10 messages delivered", r.got);
}

/*  zmq_ctx_term waits in another thread; the main thread binds later. */
static void term_in_thread (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    struct term_job j = {queue_and_close (10, -2), -1};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, term_thread, &j) == 0);
    struct receiver r = {300, 10, 0};
    late_receiver (&r);
    CHECK (pthread_join (t, NULL) == 0);
    CHECK_EQ (j.rc, 0);
    if (r.got != 10)
        TEST_FAIL_ ("%d of 10 messages delivered", r.got);
}

/*  The receiver is a child process that binds later. */
static void receiver_process (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    const pid_t pid = fork ();
    CHECK (pid >= 0);
    if (pid == 0) {
        struct receiver r = {300, 10, 0};
        late_receiver (&r);
        _exit (r.got);
    }
    void *ctx = queue_and_close (10, -2);
    CHECK_RC (zmq_ctx_term (ctx));
    int status;
    while (waitpid (pid, &status, 0) == -1)
        CHECK (errno == EINTR);
    CHECK (WIFEXITED (status));
    if (WEXITSTATUS (status) != 10)
        TEST_FAIL_ ("%d of 10 messages delivered to the process",
                    WEXITSTATUS (status));
}

/* ------------------------------------- peer restarts after the close */

static void wait_event (void *mon, int event)
{
    SET_INT (mon, ZMQ_RCVTIMEO, 5000);
    for (;;) {
        zmq_msg_t m;
        CHECK_RC (zmq_msg_init (&m));
        if (zmq_msg_recv (&m, mon, 0) == -1)
            TEST_FAIL_ ("monitor event %d did not come", event);
        uint16_t id;
        memcpy (&id, zmq_msg_data (&m), 2);
        CHECK_RC (zmq_msg_close (&m));
        char addr[256];
        CHECK (zmq_recv (mon, addr, sizeof addr, 0) >= 0);
        if (id == event)
            return;
    }
}

static void peer_restarts (void *arg)
{
    const int count = *(const int *) arg;
    pick_endpoint (0);
    /*  The peer is up, takes one message, and goes away. */
    void *peer_ctx = CHECK_PTR (zmq_ctx_new ());
    void *pull = PLAIN_SOCKET (peer_ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (pull, endpoint));

    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push, ZMQ_SNDHWM, 0);
    SET_INT (push, ZMQ_SNDTIMEO, 5000);
    CHECK_RC (zmq_socket_monitor (push, "inproc://linger-mon",
                                  ZMQ_EVENT_DISCONNECTED));
    void *mon = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (mon, "inproc://linger-mon"));
    CHECK_RC (zmq_connect (push, endpoint));
    SEND_STR (push, "first", 0);
    SET_INT (pull, ZMQ_RCVTIMEO, 5000);
    RECV_STR (pull, "first", 0);
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (peer_ctx));
    wait_event (mon, ZMQ_EVENT_DISCONNECTED);

    /*  Queued while the peer is away, then the socket is closed. */
    send_numbered (push, count);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (mon));
    struct term_job j = {ctx, -1};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, term_thread, &j) == 0);

    /*  The peer comes back. */
    struct receiver r = {300, count, 0};
    late_receiver (&r);
    CHECK (pthread_join (t, NULL) == 0);
    CHECK_EQ (j.rc, 0);
    if (r.got != count)
        TEST_FAIL_ ("%d of %d messages delivered to the restarted peer",
                    r.got, count);
}

/* ---------------------------------------------------- LINGER 0 and > 0 */

static void linger_zero_drops (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    void *ctx = queue_and_close (10, 0);
    CHECK_RC (zmq_ctx_term (ctx));
    void *peer_ctx = CHECK_PTR (zmq_ctx_new ());
    void *pull = PLAIN_SOCKET (peer_ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (pull, endpoint));
    EXPECT_NOTHING (pull, 500);
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (peer_ctx));
}

/*  The peer never comes: zmq_ctx_term returns once the linger is over
    (the case's time bound catches a hang). */
static void linger_positive_expires (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    void *ctx = queue_and_close (10, 300);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  The peer comes within the linger: everything is delivered. */
static void linger_positive_delivers (void *arg)
{
    (void) arg;
    pick_endpoint (0);
    void *ctx = queue_and_close (10, 20000);
    struct receiver r = {300, 10, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, late_receiver, &r) == 0);
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (t, NULL) == 0);
    if (r.got != 10)
        TEST_FAIL_ ("%d of 10 messages delivered within LINGER 20000",
                    r.got);
}

int main (void)
{
    TEST_TIMEOUT (50);
    static int ten = 10, many = 17000, ipc = -1;
    const struct isolated_case cases[] = {
      {"LINGER -1, tcp peer not up yet (10 messages), zmq_ctx_term in the "
       "main thread",
       term_in_main, &ten},
      {"LINGER -1, tcp peer not up yet (17,000 messages)", term_in_main,
       &many},
      {"LINGER -1, ipc peer not up yet (10 messages)", term_in_main, &ipc},
      {"LINGER -1, tcp peer up only 1.5 s after the close", comes_much_later,
       NULL},
      {"LINGER -1, tcp peer not up yet, zmq_ctx_term in another thread",
       term_in_thread, NULL},
      {"LINGER -1, tcp peer not up yet, the receiver is a child process",
       receiver_process, NULL},
      {"LINGER -1, tcp peer restarts after the close (10 messages)",
       peer_restarts, &ten},
      {"LINGER -1, tcp peer restarts after the close (17,000 messages)",
       peer_restarts, &many},
      {"LINGER 0 drops", linger_zero_drops, NULL},
      {"LINGER 300, the peer never comes", linger_positive_expires, NULL},
      {"LINGER 20000, the peer comes within it", linger_positive_delivers,
       NULL},
    };
    const int failed =
      run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]), 30);
    return failed ? 1 : 0;
}
