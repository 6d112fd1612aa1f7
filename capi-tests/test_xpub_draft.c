// Draft XPUB/XSUB options over inproc: XPUB_MANUAL_LAST_VALUE,
// ONLY_FIRST_SUBSCRIBE, XSUB_VERBOSE_UNSUBSCRIBE and TOPICS_COUNT.
// libzmq: skip draft API (Debian's libzmq is built without it)
#define ZMQ_BUILD_DRAFT_API
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

static void recv_bytes_ (void *s, const char *want, size_t len, int more,
                         const char *file, int line)
{
    char buf[256];
    const int rc = zmq_recv (s, buf, sizeof buf, 0);
    if (rc == -1) {
        fprintf (stderr, "%s:%d: recv failed: %s\n", file, line,
                 zmq_strerror (errno));
        exit (1);
    }
    if ((size_t) rc != len || memcmp (buf, want, len) != 0) {
        fprintf (stderr, "%s:%d: got %d bytes \"", file, line, rc);
        for (int i = 0; i < rc && i < (int) sizeof buf; i++)
            fprintf (stderr, buf[i] >= 32 && buf[i] < 127 ? "%c" : "\\x%02x",
                     (unsigned char) buf[i]);
        fprintf (stderr, "\", want %zu bytes\n", len);
        exit (1);
    }
    if (get_int_ (s, ZMQ_RCVMORE, file, line) != more) {
        fprintf (stderr, "%s:%d: ZMQ_RCVMORE is not %d\n", file, line, more);
        exit (1);
    }
}
//  Receives one frame: exactly the bytes of the literal, RCVMORE as given.
#define RECV_BYTES(s, lit, more)                                              \
    recv_bytes_ ((s), (lit), sizeof (lit) - 1, (more), __FILE__, __LINE__)

static void send_bytes (void *s, const char *data, size_t len, int flags)
{
    CHECK (CHECK_RC (zmq_send (s, data, len, flags)) == (int) len);
}
#define SEND_BYTES(s, lit, flags) send_bytes ((s), (lit), sizeof (lit) - 1, (flags))

static void expect_nothing (void *s, int ms)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    CHECK (CHECK_RC (zmq_poll (&item, 1, ms)) == 0);
}

static void test_manual_last_value (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xpub, ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://last-value"));
    void *sub1 = SOCKET (ctx, ZMQ_SUB);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub1, "inproc://last-value"));
    CHECK_RC (zmq_connect (sub2, "inproc://last-value"));

    //  As in manual mode, the application grants the subscription to the
    //  pipe of the subscription message it read last. The first message
    //  sent after that goes to that subscriber only: the cached last value.
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A", 0);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "A", 1));
    SEND_STR (xpub, "A-cached-1", 0);
    RECV_STR (sub1, "A-cached-1", 0);
    SEND_STR (xpub, "A-live-1", 0);
    RECV_STR (sub1, "A-live-1", 0);

    //  A second subscriber to the same topic: its cached value does not
    //  reach the first one again; live data afterwards reaches both.
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A", 0);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "A", 1));
    SEND_STR (xpub, "A-cached-2", 0);
    RECV_STR (sub2, "A-cached-2", 0);
    SEND_STR (xpub, "A-live-2", 0);
    RECV_STR (sub1, "A-live-2", 0);
    RECV_STR (sub2, "A-live-2", 0);
    expect_nothing (sub1, 50);
    expect_nothing (sub2, 0);

    CHECK_RC (zmq_close (sub1));
    CHECK_RC (zmq_close (sub2));
    CHECK_RC (zmq_close (xpub));
}

static void test_only_first_subscribe_xpub (void *ctx)
{
    //  Default: every part that looks like a subscription is one, wherever
    //  it is in a multipart message.
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_bind (xpub, "inproc://first-default"));
    CHECK_RC (zmq_connect (xsub, "inproc://first-default"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_STR (xpub, "hello", 0);
    CHECK (RCVMORE (xpub) == 1);
    RECV_BYTES (xpub, "\x01" "A", 0);
    SEND_STR (xpub, "A1", 0);
    RECV_STR (xsub, "A1", 0);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));

    //  With ONLY_FIRST_SUBSCRIBE on the XPUB, a message whose first part is
    //  not a subscription is user data all the way through.
    xpub = SOCKET (ctx, ZMQ_XPUB);
    xsub = SOCKET (ctx, ZMQ_XSUB);
    SET_INT (xpub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://first-xpub"));
    CHECK_RC (zmq_connect (xsub, "inproc://first-xpub"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_STR (xpub, "hello", 0);
    CHECK (RCVMORE (xpub) == 1);
    RECV_BYTES (xpub, "\x01" "A", 0);
    //  A single-part subscription still works.
    SEND_BYTES (xsub, "\x01" "B", 0);
    RECV_BYTES (xpub, "\x01" "B", 0);
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "B1", 0);
    RECV_STR (xsub, "B1", 0);
    expect_nothing (xsub, 50);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void test_only_first_subscribe_xsub (void *ctx)
{
    //  An XSUB remembers the subscriptions it sent and replays them to every
    //  publisher it connects to later. Default: a subscription-looking later
    //  part counts.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub-first-default"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-first-default"));
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES (xpub, "\x01" "A", 0);
    RECV_BYTES (xpub, "\x01" "Z", 0);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));

    //  With ONLY_FIRST_SUBSCRIBE on the XSUB the later part is user data and
    //  subscribes nothing.
    xsub = SOCKET (ctx, ZMQ_XSUB);
    xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub-first"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-first"));
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES (xpub, "\x01" "Z", 0);
    expect_nothing (xpub, 50);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void verbose_unsubscribe_case (void *ctx, int verbose,
                                      const char *endpoint)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    if (verbose)
        SET_INT (xsub, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, endpoint));
    CHECK_RC (zmq_connect (xsub, endpoint));

    //  Subscriptions always go upstream; the XPUB reports the first.
    SEND_BYTES (xsub, "\x01" "A", 0);
    SEND_BYTES (xsub, "\x01" "A", 0);
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES (xpub, "\x01" "A", 0);
    RECV_BYTES (xpub, "\x01" "Z", 0);

    //  The XSUB counts "A" twice. By default only the unsubscription that
    //  removes it goes upstream; verbose, every one does.
    SEND_BYTES (xsub, "\x00" "A", 0);
    SEND_BYTES (xsub, "\x01" "Y", 0);
    if (verbose)
        RECV_BYTES (xpub, "\x00" "A", 0);
    RECV_BYTES (xpub, "\x01" "Y", 0);
    SEND_BYTES (xsub, "\x00" "A", 0);
    RECV_BYTES (xpub, "\x00" "A", 0);
    expect_nothing (xpub, 50);

    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void test_xsub_verbose_unsubscribe (void *ctx)
{
    verbose_unsubscribe_case (ctx, 0, "inproc://xsub-unsub-default");
    verbose_unsubscribe_case (ctx, 1, "inproc://xsub-unsub-verbose");
}

static void test_topics_count (void *ctx)
{
    //  SUB: the number of distinct prefixes subscribed locally.
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 0);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 1);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 1);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);

    //  XPUB: the number of distinct topics its subscribers asked for.
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 0);
    CHECK_RC (zmq_bind (xpub, "inproc://topics-count"));
    CHECK_RC (zmq_connect (sub, "inproc://topics-count"));
    RECV_BYTES (xpub, "\x01", 0);
    RECV_BYTES (xpub, "\x01" "B", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 2);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub2, "inproc://topics-count"));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "C", 1));
    RECV_BYTES (xpub, "\x01" "C", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 3);
    CHECK_RC (zmq_close (sub2));
    RECV_BYTES (xpub, "\x00" "C", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 2);

    //  XSUB: what it subscribed to by message.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 0);
    SEND_BYTES (xsub, "\x01" "T", 0);
    SEND_BYTES (xsub, "\x01" "U", 0);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 2);
    SEND_BYTES (xsub, "\x00" "T", 0);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 1);

    //  Other socket types do not have it.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    int value;
    size_t size = sizeof value;
    CHECK_ERR (zmq_getsockopt (push, ZMQ_TOPICS_COUNT, &value, &size),
               EINVAL);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_manual_last_value (ctx);
    test_only_first_subscribe_xpub (ctx);
    test_only_first_subscribe_xsub (ctx);
    test_xsub_verbose_unsubscribe (ctx);
    test_topics_count (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
