// PAIR over inproc: exchange in both directions, multipart atomicity,
// bind-then-connect and connect-then-bind, and what a second connecting peer
// gets (PAIR talks to exactly one peer).
// test helpers
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                     __LINE__, #cond);                                       \
            exit (1);                                                        \
        }                                                                    \
    } while (0)

static inline int check_rc_ (int rc, const char *expr, const char *file,
                             int line)
{
    if (rc == -1) {
        const int err = errno;
        fprintf (stderr, "%s:%d: %s failed: %s (errno %d)\n", file, line,
                 expr, zmq_strerror (err), err);
        exit (1);
    }
    return rc;
}

//  Evaluates to the call's result; fails the test when it is -1.
#define CHECK_RC(expr) check_rc_ ((expr), #expr, __FILE__, __LINE__)

static inline void check_err_ (int rc, int err, int want, const char *expr,
                               const char *file, int line)
{
    if (rc != -1 || err != want) {
        fprintf (stderr,
                 "%s:%d: %s: expected -1 with errno %d (%s), got %d with "
                 "errno %d (%s)\n",
                 file, line, expr, want, zmq_strerror (want), rc, err,
                 zmq_strerror (err));
        exit (1);
    }
}

//  The call must fail with -1 and errno == want.
#define CHECK_ERR(expr, want)                                                \
    do {                                                                     \
        const int rc_ = (expr);                                              \
        check_err_ (rc_, errno, (want), #expr, __FILE__, __LINE__);          \
    } while (0)

static void watchdog_fired_ (int sig)
{
    static const char msg[] = "watchdog: test did not finish in time\n";
    (void) sig;
    if (write (2, msg, sizeof msg - 1) < 0)
        _exit (3);
    _exit (3);
}

//  Bounds the whole test in time: a hang becomes a failure.
static inline void watchdog (void)
{
    signal (SIGALRM, watchdog_fired_);
    alarm (30);
}

static inline long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void sleep_ms (int ms)
{
    struct timespec ts = {ms / 1000, (long) (ms % 1000) * 1000000L};
    while (nanosleep (&ts, &ts) == -1 && errno == EINTR) {
    }
}

static inline void *socket_ (void *ctx, int type, const char *file, int line)
{
    void *s = zmq_socket (ctx, type);
    if (!s) {
        fprintf (stderr, "%s:%d: zmq_socket (%d) failed: %s\n", file, line,
                 type, zmq_strerror (errno));
        exit (1);
    }
    return s;
}

//  A socket with every option at its default.
#define PLAIN_SOCKET(ctx, type) socket_ ((ctx), (type), __FILE__, __LINE__)

//  A socket whose blocking receives give up after 5 s, so a lost message
//  fails at the line that waited for it.
#define SOCKET(ctx, type) socket_bounded_ ((ctx), (type), __FILE__, __LINE__)

static inline void *socket_bounded_ (void *ctx, int type, const char *file,
                                     int line)
{
    void *s = socket_ (ctx, type, file, line);
    const int timeout = 5000;
    check_rc_ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout),
               "zmq_setsockopt (ZMQ_RCVTIMEO)", file, line);
    return s;
}

#define SET_INT(s, opt, value)                                               \
    do {                                                                     \
        const int v_ = (value);                                              \
        CHECK_RC (zmq_setsockopt ((s), (opt), &v_, sizeof v_));              \
    } while (0)

static inline int get_int_ (void *s, int opt, const char *file, int line)
{
    int value = 0;
    size_t size = sizeof value;
    check_rc_ (zmq_getsockopt (s, opt, &value, &size), "zmq_getsockopt",
               file, line);
    return value;
}
#define GET_INT(s, opt) get_int_ ((s), (opt), __FILE__, __LINE__)

static inline void send_str_ (void *s, const char *str, int flags,
                              const char *file, int line)
{
    const int len = (int) strlen (str);
    const int rc = zmq_send (s, str, (size_t) len, flags);
    if (rc != len) {
        fprintf (stderr, "%s:%d: send \"%s\" returned %d: %s\n", file, line,
                 str, rc, zmq_strerror (errno));
        exit (1);
    }
}
#define SEND_STR(s, str, flags) send_str_ ((s), (str), (flags), __FILE__, __LINE__)

//  Receives one frame into buf (NUL-terminated); returns its size or -1.
static inline int recv_buf (void *s, char *buf, size_t cap, int flags)
{
    const int rc = zmq_recv (s, buf, cap - 1, flags);
    if (rc >= 0)
        buf[(size_t) rc < cap - 1 ? (size_t) rc : cap - 1] = '\0';
    return rc;
}

static inline void recv_str_ (void *s, const char *want, int flags,
                              const char *file, int line)
{
    char buf[256];
    const int rc = recv_buf (s, buf, sizeof buf, flags);
    if (rc == -1) {
        fprintf (stderr, "%s:%d: recv (want \"%s\") failed: %s\n", file,
                 line, want, zmq_strerror (errno));
        exit (1);
    }
    if ((size_t) rc != strlen (want) || memcmp (buf, want, (size_t) rc) != 0) {
        fprintf (stderr, "%s:%d: received \"%s\" (%d bytes), want \"%s\"\n",
                 file, line, buf, rc, want);
        exit (1);
    }
}
//  Receives one frame and checks it is exactly the string want.
#define RECV_STR(s, want, flags) recv_str_ ((s), (want), (flags), __FILE__, __LINE__)

//  Whether the frame just received has more parts after it.
#define RCVMORE(s) GET_INT ((s), ZMQ_RCVMORE)
// end of test helpers

static void exchange (void *a, void *b)
{
    SEND_STR (a, "ping", 0);
    RECV_STR (b, "ping", 0);
    CHECK (RCVMORE (b) == 0);
    SEND_STR (b, "pong", 0);
    RECV_STR (a, "pong", 0);
    CHECK (RCVMORE (a) == 0);
}

static void test_bind_then_connect (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-bind-first"));
    CHECK_RC (zmq_connect (b, "inproc://pair-bind-first"));
    exchange (a, b);
    exchange (b, a);
    CHECK (GET_INT (a, ZMQ_TYPE) == ZMQ_PAIR);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_connect_then_bind (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (b, "inproc://pair-connect-first"));
    //  Sent before the endpoint exists: queued on the pending connection.
    SEND_STR (b, "early", ZMQ_DONTWAIT);
    CHECK_RC (zmq_bind (a, "inproc://pair-connect-first"));
    RECV_STR (a, "early", 0);
    exchange (a, b);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_multipart (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-multipart"));
    CHECK_RC (zmq_connect (b, "inproc://pair-multipart"));

    //  While a message is incomplete nothing of it is visible to the peer.
    SEND_STR (a, "one", ZMQ_SNDMORE);
    SEND_STR (a, "two", ZMQ_SNDMORE);
    char buf[16];
    CHECK_ERR (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    zmq_pollitem_t item = {b, 0, ZMQ_POLLIN, 0};
    CHECK (CHECK_RC (zmq_poll (&item, 1, 100)) == 0);
    CHECK ((GET_INT (b, ZMQ_EVENTS) & ZMQ_POLLIN) == 0);

    SEND_STR (a, "", ZMQ_SNDMORE);
    SEND_STR (a, "three", 0);
    RECV_STR (b, "one", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "two", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "three", 0);
    CHECK (RCVMORE (b) == 0);

    //  The other direction, with zmq_msg_t and ZMQ_MORE on the message.
    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init_size (&msg, 3));
    memcpy (zmq_msg_data (&msg), "abc", 3);
    CHECK (CHECK_RC (zmq_msg_send (&msg, b, ZMQ_SNDMORE)) == 3);
    CHECK_RC (zmq_msg_init_size (&msg, 2));
    memcpy (zmq_msg_data (&msg), "de", 2);
    CHECK (CHECK_RC (zmq_msg_send (&msg, b, 0)) == 2);

    CHECK_RC (zmq_msg_init (&msg));
    CHECK (CHECK_RC (zmq_msg_recv (&msg, a, 0)) == 3);
    CHECK (memcmp (zmq_msg_data (&msg), "abc", 3) == 0);
    CHECK (zmq_msg_more (&msg) == 1);
    CHECK (CHECK_RC (zmq_msg_recv (&msg, a, 0)) == 2);
    CHECK (memcmp (zmq_msg_data (&msg), "de", 2) == 0);
    CHECK (zmq_msg_more (&msg) == 0);
    CHECK_RC (zmq_msg_close (&msg));

    //  Many multipart messages keep their boundaries and their order.
    for (int i = 0; i < 100; i++) {
        char part[16];
        snprintf (part, sizeof part, "m%d", i);
        SEND_STR (a, part, ZMQ_SNDMORE);
        SEND_STR (a, "tail", 0);
    }
    for (int i = 0; i < 100; i++) {
        char part[16];
        snprintf (part, sizeof part, "m%d", i);
        RECV_STR (b, part, 0);
        CHECK (RCVMORE (b) == 1);
        RECV_STR (b, "tail", 0);
        CHECK (RCVMORE (b) == 0);
    }
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_no_peer (void *ctx)
{
    //  A PAIR without a peer cannot send: the message would have no queue.
    void *a = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-lonely"));
    CHECK_ERR (zmq_send (a, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK ((GET_INT (a, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
    SET_INT (a, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (a, "x", 1, 0), EAGAIN);
    CHECK_RC (zmq_close (a));
}

static void test_second_peer (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    void *c = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-second"));
    CHECK_RC (zmq_connect (b, "inproc://pair-second"));
    exchange (a, b);

    //  The connect itself succeeds, but the bound PAIR already has its peer
    //  and refuses the new one: nothing c sends ever reaches a, and a keeps
    //  talking to b alone.
    CHECK_RC (zmq_connect (c, "inproc://pair-second"));
    for (int i = 0; i < 5; i++)
        zmq_send (c, "intruder", 8, ZMQ_DONTWAIT);
    SEND_STR (b, "from-b", 0);
    RECV_STR (a, "from-b", 0);
    SEND_STR (a, "to-b", 0);
    RECV_STR (b, "to-b", 0);
    char buf[16];
    SET_INT (a, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (a, buf, sizeof buf, 0), EAGAIN);
    SET_INT (c, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (c, buf, sizeof buf, 0), EAGAIN);

    //  Once b is gone the endpoint is free for a new peer.
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (b));
    SET_INT (c, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (c));
    void *d = NULL;
    //  The bound PAIR learns about b's departure asynchronously.
    int ok = 0;
    for (int attempt = 0; attempt < 100 && !ok; attempt++) {
        GET_INT (a, ZMQ_EVENTS);
        void *probe = SOCKET (ctx, ZMQ_PAIR);
        SET_INT (probe, ZMQ_LINGER, 0);
        CHECK_RC (zmq_connect (probe, "inproc://pair-second"));
        SEND_STR (probe, "probe", ZMQ_DONTWAIT);
        SET_INT (a, ZMQ_RCVTIMEO, 20);
        if (recv_buf (a, buf, sizeof buf, 0) == 5) {
            ok = 1;
            d = probe;
        } else
            CHECK_RC (zmq_close (probe));
    }
    CHECK (ok);
    SEND_STR (a, "welcome", 0);
    RECV_STR (d, "welcome", 0);
    SET_INT (a, ZMQ_LINGER, 0);
    SET_INT (d, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (d));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_bind_then_connect (ctx);
    test_connect_then_bind (ctx);
    test_multipart (ctx);
    test_no_peer (ctx);
    test_second_peer (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
