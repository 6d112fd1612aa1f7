// STREAM sockets: creation, ZMQ_STREAM_NOTIFY validation, and what libzmq
// does with a STREAM over inproc: the peer's frames arrive as
// [generated routing id][frame] with no connect notification, replies are
// routed by that id, unknown ids fail with EHOSTUNREACH, and
// CONNECT_ROUTING_ID names a connection made by the STREAM.
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

static void test_options (void *ctx)
{
    void *stream = SOCKET (ctx, ZMQ_STREAM);
    CHECK (GET_INT (stream, ZMQ_TYPE) == ZMQ_STREAM);

    //  STREAM_NOTIFY is a 0/1 switch, write-only, STREAM-only.
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 0);
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 1);
    int value = 2;
    CHECK_ERR (zmq_setsockopt (stream, ZMQ_STREAM_NOTIFY, &value, sizeof value),
               EINVAL);
    value = 1;
    CHECK_ERR (zmq_setsockopt (stream, ZMQ_STREAM_NOTIFY, &value, 2), EINVAL);
    size_t size = sizeof value;
    CHECK_ERR (zmq_getsockopt (stream, ZMQ_STREAM_NOTIFY, &value, &size),
               EINVAL);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_setsockopt (dealer, ZMQ_STREAM_NOTIFY, &value, sizeof value),
               EINVAL);

    //  Ordinary options apply as to any socket.
    SET_INT (stream, ZMQ_SNDHWM, 10);
    CHECK (GET_INT (stream, ZMQ_SNDHWM) == 10);
    SET_INT (stream, ZMQ_LINGER, 0);
    CHECK (GET_INT (stream, ZMQ_LINGER) == 0);
    CHECK_RC (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "peer", 4));

    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (stream));
}

static void test_inproc (void *ctx)
{
    void *stream = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 1);
    CHECK_RC (zmq_bind (stream, "inproc://stream"));

    //  The peer's own routing id plays no part: the STREAM names the
    //  connection itself, with 5 bytes starting with a zero byte.
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "dealer", 6));
    CHECK_RC (zmq_connect (dealer, "inproc://stream"));
    SEND_STR (dealer, "first", 0);
    SEND_STR (dealer, "second", 0);

    //  No connect notification over inproc: the first message is data.
    unsigned char id[256];
    int id_len = CHECK_RC (zmq_recv (stream, id, sizeof id, 0));
    CHECK (id_len == 5);
    CHECK (id[0] == 0);
    CHECK (RCVMORE (stream) == 1);
    RECV_STR (stream, "first", 0);
    CHECK (RCVMORE (stream) == 0);
    unsigned char id2[256];
    CHECK (CHECK_RC (zmq_recv (stream, id2, sizeof id2, 0)) == 5);
    CHECK (memcmp (id, id2, 5) == 0);
    RECV_STR (stream, "second", 0);
    CHECK (RCVMORE (stream) == 0);

    //  Replies are routed by the id; the peer sees the payload alone.
    CHECK (CHECK_RC (zmq_send (stream, id, 5, ZMQ_SNDMORE)) == 5);
    SEND_STR (stream, "reply", 0);
    RECV_STR (dealer, "reply", 0);
    CHECK (RCVMORE (dealer) == 0);

    //  A STREAM always refuses unknown ids.
    CHECK_ERR (zmq_send (stream, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);

    //  A STREAM that connects can name the connection beforehand.
    void *bound = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (bound, "inproc://stream-connect"));
    void *client = SOCKET (ctx, ZMQ_STREAM);
    CHECK_RC (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "cid", 3));
    CHECK_RC (zmq_connect (client, "inproc://stream-connect"));
    SEND_STR (client, "cid", ZMQ_SNDMORE);
    SEND_STR (client, "raw", 0);
    RECV_STR (bound, "raw", 0);
    CHECK (RCVMORE (bound) == 0);
    SEND_STR (bound, "back", 0);
    RECV_STR (client, "cid", 0);
    CHECK (RCVMORE (client) == 1);
    RECV_STR (client, "back", 0);
    CHECK (RCVMORE (client) == 0);

    SET_INT (stream, ZMQ_LINGER, 0);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (bound));
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (stream));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_options (ctx);
    test_inproc (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
