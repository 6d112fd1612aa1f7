// XPUB/XSUB over inproc: subscription messages (\x01topic and \x00topic)
// seen by XPUB, duplicates with and without XPUB_VERBOSE / XPUB_VERBOSER,
// XPUB_NODROP, XPUB_MANUAL, XPUB_WELCOME_MSG, and XSUB sending
// subscriptions as messages.
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

//  Receives one frame and checks it is exactly the len bytes of want.
static void recv_bytes_ (void *s, const char *want, size_t len,
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
}
#define RECV_BYTES(s, lit) recv_bytes_ ((s), (lit), sizeof (lit) - 1, __FILE__, __LINE__)

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

static void test_subscription_messages (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xpub-msgs"));
    CHECK_RC (zmq_connect (sub, "inproc://xpub-msgs"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "topic", 5));
    RECV_BYTES (xpub, "\x01topic");
    CHECK (RCVMORE (xpub) == 0);
    //  Now the XPUB filters for the SUB like a PUB would.
    SEND_STR (xpub, "topic-1", 0);
    SEND_STR (xpub, "other", 0);
    SEND_STR (xpub, "topic-2", 0);
    RECV_STR (sub, "topic-1", 0);
    RECV_STR (sub, "topic-2", 0);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "topic", 5));
    RECV_BYTES (xpub, "\x00topic");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x00");
    expect_nothing (xpub, 50);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));

    //  Subscriptions made before the connection are sent when it is made.
    xpub = SOCKET (ctx, ZMQ_XPUB);
    sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "early", 5));
    CHECK_RC (zmq_bind (xpub, "inproc://xpub-early"));
    CHECK_RC (zmq_connect (sub, "inproc://xpub-early"));
    RECV_BYTES (xpub, "\x01" "early");
    //  A subscriber going away cancels its subscriptions.
    CHECK_RC (zmq_close (sub));
    RECV_BYTES (xpub, "\x00" "early");
    CHECK_RC (zmq_close (xpub));
}

//  Two SUBs subscribe and unsubscribe the same topic; "Z"/"Y" are
//  subscriptions that are always reported, used to prove that nothing was
//  reported between them (messages from one SUB arrive in order).
static void duplicates_case (void *ctx, int verbose, int verboser,
                             const char *endpoint)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    if (verbose)
        SET_INT (xpub, ZMQ_XPUB_VERBOSE, 1);
    if (verboser)
        SET_INT (xpub, ZMQ_XPUB_VERBOSER, 1);
    CHECK_RC (zmq_bind (xpub, endpoint));
    void *sub1 = SOCKET (ctx, ZMQ_SUB);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub1, endpoint));
    CHECK_RC (zmq_connect (sub2, endpoint));

    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A");
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "Z", 1));
    if (verbose || verboser)
        RECV_BYTES (xpub, "\x01" "A");
    RECV_BYTES (xpub, "\x01" "Z");

    //  The same SUB subscribing again is a duplicate too.
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "Y", 1));
    if (verbose || verboser)
        RECV_BYTES (xpub, "\x01" "A");
    RECV_BYTES (xpub, "\x01" "Y");
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "Y", 1));
    //  Only the last unsubscription of a topic is reported, unless
    //  XPUB_VERBOSER passes them all.
    if (verboser)
        RECV_BYTES (xpub, "\x00" "A");
    RECV_BYTES (xpub, "\x00" "Y");
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_UNSUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x00" "A");
    expect_nothing (xpub, 50);

    CHECK_RC (zmq_close (sub1));
    CHECK_RC (zmq_close (sub2));
    //  Closing sub2 cancels its last subscription "Z".
    RECV_BYTES (xpub, "\x00" "Z");
    CHECK_RC (zmq_close (xpub));
}

static void test_duplicates (void *ctx)
{
    duplicates_case (ctx, 0, 0, "inproc://dup-plain");
    duplicates_case (ctx, 1, 0, "inproc://dup-verbose");
    duplicates_case (ctx, 0, 1, "inproc://dup-verboser");
}

static void test_nodrop (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    SET_INT (xpub, ZMQ_XPUB_NODROP, 1);
    SET_INT (xpub, ZMQ_SNDHWM, 4);
    SET_INT (sub, ZMQ_RCVHWM, 6);
    CHECK_RC (zmq_bind (xpub, "inproc://nodrop"));
    CHECK_RC (zmq_connect (sub, "inproc://nodrop"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");

    //  Instead of dropping, the XPUB refuses once the subscriber's pipe is
    //  full: SNDHWM + RCVHWM messages over inproc.
    int sent = 0;
    while (sent < 100) {
        if (zmq_send (xpub, "m", 1, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            break;
        }
        sent++;
    }
    CHECK (sent == 10);
    SET_INT (xpub, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (xpub, "m", 1, 0), EAGAIN);
    for (int i = 0; i < sent; i++)
        RECV_STR (sub, "m", 0);
    SET_INT (xpub, ZMQ_SNDTIMEO, 2000);
    SEND_STR (xpub, "again", 0);
    RECV_STR (sub, "again", 0);
    SET_INT (xpub, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

static void test_manual (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xpub, ZMQ_XPUB_MANUAL, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://manual"));
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub, "inproc://manual"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A");

    //  The request alone subscribes nothing in manual mode.
    SEND_STR (xpub, "A0", 0);
    //  The application decides: here it grants a narrower topic, applied to
    //  the pipe of the last subscription message received.
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "AB", 2));
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "AB1", 0);
    RECV_STR (sub, "AB1", 0);

    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "AC", 2));
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_UNSUBSCRIBE, "AB", 2));
    SEND_STR (xpub, "AB2", 0);
    SEND_STR (xpub, "AC2", 0);
    RECV_STR (sub, "AC2", 0);

    //  Unsubscription requests are passed on too (every one, as manual mode
    //  implies verbose), and again change nothing by themselves.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x00" "A");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "AC", 2));
    RECV_BYTES (xpub, "\x01" "AC");
    SEND_STR (xpub, "AC3", 0);
    RECV_STR (sub, "AC3", 0);
    expect_nothing (sub, 50);

    //  A second subscriber: each grant goes to whoever sent the last
    //  subscription message.
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub2, "inproc://manual"));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "Q", 1));
    SEND_STR (xpub, "Q1", 0);
    SEND_STR (xpub, "AC4", 0);
    RECV_STR (sub2, "Q1", 0);
    RECV_STR (sub, "AC4", 0);
    expect_nothing (sub2, 50);
    expect_nothing (sub, 0);

    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (sub2));
    CHECK_RC (zmq_close (xpub));
}

static void test_welcome (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_XPUB_WELCOME_MSG, "W", 1));
    CHECK_RC (zmq_bind (xpub, "inproc://welcome"));
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "W", 1));
    CHECK_RC (zmq_connect (sub, "inproc://welcome"));
    RECV_BYTES (xpub, "\x01" "W");
    //  Every new subscriber gets the welcome message first.
    RECV_STR (sub, "W", 0);
    CHECK (RCVMORE (sub) == 0);
    SEND_STR (xpub, "W-after", 0);
    RECV_STR (sub, "W-after", 0);

    //  An XSUB does not filter what it receives, so it sees the welcome
    //  even though it subscribed to something else.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (xsub, "inproc://welcome"));
    SEND_BYTES (xsub, "\x01" "X", 0);
    RECV_BYTES (xpub, "\x01" "X");
    RECV_STR (xsub, "W", 0);

    //  An empty value turns it off.
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_XPUB_WELCOME_MSG, NULL, 0));
    void *late = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (late, "inproc://welcome"));
    SEND_BYTES (late, "\x01" "Z", 0);
    RECV_BYTES (xpub, "\x01" "Z");
    SEND_STR (xpub, "Z1", 0);
    RECV_STR (late, "Z1", 0);
    expect_nothing (late, 50);

    CHECK_RC (zmq_close (late));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

static void test_xsub (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub"));
    CHECK_RC (zmq_connect (xsub, "inproc://xsub"));

    //  An XSUB subscribes by sending \x01topic, unsubscribes with \x00topic.
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_BYTES (xpub, "\x01" "A");
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "B1", 0);
    SEND_STR (xpub, "A2", 0);
    RECV_STR (xsub, "A1", 0);
    RECV_STR (xsub, "A2", 0);

    //  Other messages go upstream unchanged and subscribe nothing.
    SEND_STR (xsub, "hello upstream", 0);
    RECV_STR (xpub, "hello upstream", 0);
    SEND_STR (xpub, "hello upstream", 0);
    SEND_BYTES (xsub, "\x00" "A", 0);
    RECV_BYTES (xpub, "\x00" "A");
    SEND_STR (xpub, "A3", 0);
    SEND_BYTES (xsub, "\x01", 0);
    RECV_BYTES (xpub, "\x01");
    SEND_STR (xpub, "B2", 0);
    RECV_STR (xsub, "B2", 0);
    expect_nothing (xsub, 50);

    //  Subscriptions an XSUB holds are replayed to a publisher it connects
    //  to later.
    void *xpub2 = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_bind (xpub2, "inproc://xsub-2"));
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-2"));
    RECV_BYTES (xpub2, "\x01");

    //  A plain PUB ignores what comes upstream except subscriptions.
    void *pub = SOCKET (ctx, ZMQ_PUB);
    CHECK_RC (zmq_bind (pub, "inproc://xsub-pub"));
    void *xsub2 = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (xsub2, "inproc://xsub-pub"));
    SEND_STR (xsub2, "ignored", 0);
    SEND_BYTES (xsub2, "\x01" "T", 0);
    for (int attempt = 0;; attempt++) {
        CHECK (attempt < 500);
        SEND_STR (pub, "T1", 0);
        zmq_pollitem_t item = {xsub2, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 10)) == 1)
            break;
    }
    RECV_STR (xsub2, "T1", 0);

    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (xsub2));
    CHECK_RC (zmq_close (xpub2));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_subscription_messages (ctx);
    test_duplicates (ctx);
    test_nodrop (ctx);
    test_manual (ctx);
    test_welcome (ctx);
    test_xsub (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
