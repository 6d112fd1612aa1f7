// zmq_proxy_steerable over inproc: PAUSE, RESUME, STATISTICS (eight uint64
// frames) and TERMINATE on a PAIR control socket, STATISTICS and TERMINATE
// on a REP control socket driven by a REQ, and zmq_device (ZMQ_QUEUE)
// forwarding like zmq_proxy until its context is terminated.
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
#include <pthread.h>
#include <stdint.h>

struct proxy_args
{
    void *frontend;
    void *backend;
    void *control; //  NULL: run zmq_device (ZMQ_QUEUE, ...) instead
    int rc;
    int err;
};

static void *run_proxy (void *arg)
{
    struct proxy_args *p = (struct proxy_args *) arg;
    if (p->control)
        p->rc = zmq_proxy_steerable (p->frontend, p->backend, NULL, p->control);
    else
        p->rc = zmq_device (ZMQ_QUEUE, p->frontend, p->backend);
    p->err = errno;
    CHECK_RC (zmq_close (p->frontend));
    CHECK_RC (zmq_close (p->backend));
    if (p->control)
        CHECK_RC (zmq_close (p->control));
    return NULL;
}

//  Checks counters against expected byte totals. Message counters are
//  per whole message in libzmq 4.3.4 and per frame in later releases, so
//  they are checked to lie between the two and to agree with each other.
static void check_stats (const uint64_t stats[8], const uint64_t bytes[4],
                         const uint64_t messages[4], const uint64_t frames[4])
{
    for (int i = 0; i < 4; i++) {
        CHECK (stats[2 * i + 1] == bytes[i]);
        CHECK (stats[2 * i] >= messages[i] && stats[2 * i] <= frames[i]);
    }
    //  What came in at one end went out at the other.
    CHECK (stats[0] == stats[6]);
    CHECK (stats[4] == stats[2]);
}

//  Asks for STATISTICS and checks the reply is 8 frames of 8 bytes.
static void statistics (void *control, uint64_t stats[8])
{
    SEND_STR (control, "STATISTICS", 0);
    for (int i = 0; i < 8; i++) {
        zmq_msg_t frame;
        CHECK_RC (zmq_msg_init (&frame));
        CHECK (CHECK_RC (zmq_msg_recv (&frame, control, 0)) == 8);
        memcpy (&stats[i], zmq_msg_data (&frame), 8);
        CHECK (zmq_msg_more (&frame) == (i < 7));
        CHECK_RC (zmq_msg_close (&frame));
    }
}

//  One request/reply through the proxy: [id][""][body] in at the frontend,
//  3 frames out at the backend, and the same back for the reply.
static void round_trip (void *req, void *rep, const char *body)
{
    SEND_STR (req, body, 0);
    RECV_STR (rep, body, 0);
    SEND_STR (rep, body, 0);
    RECV_STR (req, body, 0);
}

static void test_pair_control (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER),
                              SOCKET (ctx, ZMQ_PAIR), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    CHECK_RC (zmq_bind (args.control, "inproc://control"));
    void *control = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (control, "inproc://control"));
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_setsockopt (req, ZMQ_ROUTING_ID, "REQ1", 4));
    CHECK_RC (zmq_connect (req, "inproc://front"));
    CHECK_RC (zmq_connect (rep, "inproc://back"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    uint64_t stats[8];
    statistics (control, stats);
    for (int i = 0; i < 8; i++)
        CHECK (stats[i] == 0);

    //  Order: frontend received, frontend sent, backend received, backend
    //  sent. In at the frontend: [REQ1][][hello], 1 message of 3 frames,
    //  9 bytes; out at the backend the same; the reply back likewise.
    round_trip (req, rep, "hello");
    statistics (control, stats);
    const uint64_t one_bytes[4] = {9, 9, 9, 9};
    const uint64_t one_msgs[4] = {1, 1, 1, 1};
    const uint64_t one_frames[4] = {3, 3, 3, 3};
    check_stats (stats, one_bytes, one_msgs, one_frames);
    uint64_t before[8];
    memcpy (before, stats, sizeof before);

    //  PAUSE: nothing moves. (The STATISTICS reply proves the proxy has
    //  handled the command before the request is sent.)
    SEND_STR (control, "PAUSE", 0);
    statistics (control, stats);
    SEND_STR (req, "paused", 0);
    char buf[32];
    SET_INT (rep, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (rep, buf, sizeof buf, 0), EAGAIN);
    statistics (control, stats);
    CHECK (memcmp (stats, before, sizeof before) == 0);

    //  RESUME: the queued request goes through.
    SEND_STR (control, "RESUME", 0);
    SET_INT (rep, ZMQ_RCVTIMEO, 5000);
    RECV_STR (rep, "paused", 0);
    SEND_STR (rep, "resumed", 0);
    RECV_STR (req, "resumed", 0);
    statistics (control, stats);
    //  [REQ1][][paused] is 10 bytes, [REQ1][][resumed] 11.
    const uint64_t two_bytes[4] = {19, 20, 20, 19};
    const uint64_t two_msgs[4] = {2, 2, 2, 2};
    const uint64_t two_frames[4] = {6, 6, 6, 6};
    check_stats (stats, two_bytes, two_msgs, two_frames);

    //  TERMINATE: the proxy returns 0.
    SEND_STR (control, "TERMINATE", 0);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == 0);

    CHECK_RC (zmq_close (control));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_rep_control (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_PULL), SOCKET (ctx, ZMQ_PUSH),
                              SOCKET (ctx, ZMQ_REP), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://out"));
    CHECK_RC (zmq_bind (args.control, "inproc://control"));
    void *control = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_connect (control, "inproc://control"));
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (push, "inproc://in"));
    CHECK_RC (zmq_connect (pull, "inproc://out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    SEND_STR (push, "abc", ZMQ_SNDMORE);
    SEND_STR (push, "de", 0);
    RECV_STR (pull, "abc", 0);
    CHECK (RCVMORE (pull));
    RECV_STR (pull, "de", 0);

    //  STATISTICS is the REP's reply to the REQ's request.
    uint64_t stats[8];
    statistics (control, stats);
    const uint64_t bytes[4] = {5, 0, 0, 5};
    const uint64_t msgs[4] = {1, 0, 0, 1};
    const uint64_t frames[4] = {2, 0, 0, 2};
    check_stats (stats, bytes, msgs, frames);
    statistics (control, stats);

    SEND_STR (control, "TERMINATE", 0);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == 0);

    SET_INT (control, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (control));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_device (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_connect (req, "inproc://front"));
    CHECK_RC (zmq_connect (rep, "inproc://back"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);
    for (int i = 0; i < 5; i++)
        round_trip (req, rep, "through the device");
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    //  Like zmq_proxy: terminating the context ends it with ETERM.
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == -1);
    CHECK (args.err == ETERM);
}

int main (void)
{
    watchdog ();
    test_pair_control ();
    test_rep_control ();
    test_device ();
    return 0;
}
