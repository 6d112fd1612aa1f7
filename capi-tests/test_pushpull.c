// PUSH/PULL over inproc: round-robin to several PULLs, fair-queueing from
// several PUSHes, high-water marks (an inproc pipe holds the sender's SNDHWM
// plus the receiver's RCVHWM), SNDTIMEO, IMMEDIATE and CONFLATE.
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

static void test_round_robin (void *ctx)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pulls[3];
    CHECK_RC (zmq_bind (push, "inproc://rr"));
    for (int i = 0; i < 3; i++) {
        pulls[i] = SOCKET (ctx, ZMQ_PULL);
        CHECK_RC (zmq_connect (pulls[i], "inproc://rr"));
    }
    //  Each PULL gets every third message, in order.
    for (int i = 0; i < 9; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        SEND_STR (push, buf, 0);
    }
    int first[3];
    for (int p = 0; p < 3; p++) {
        char buf[16];
        CHECK (recv_buf (pulls[p], buf, sizeof buf, 0) == 1);
        first[p] = buf[0] - '0';
        for (int k = 1; k < 3; k++) {
            char want[16];
            snprintf (want, sizeof want, "%d", first[p] + 3 * k);
            RECV_STR (pulls[p], want, 0);
        }
        CHECK_ERR (zmq_recv (pulls[p], buf, sizeof buf, ZMQ_DONTWAIT),
                   EAGAIN);
    }
    CHECK (first[0] != first[1] && first[1] != first[2]
           && first[0] != first[2]);

    //  A multipart message goes whole to one PULL.
    SEND_STR (push, "a", ZMQ_SNDMORE);
    SEND_STR (push, "b", 0);
    int got = 0;
    for (int p = 0; p < 3; p++) {
        char buf[16];
        if (recv_buf (pulls[p], buf, sizeof buf, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            continue;
        }
        CHECK (strcmp (buf, "a") == 0 && RCVMORE (pulls[p]) == 1);
        RECV_STR (pulls[p], "b", 0);
        CHECK (RCVMORE (pulls[p]) == 0);
        got++;
    }
    CHECK (got == 1);

    CHECK_RC (zmq_close (push));
    for (int i = 0; i < 3; i++)
        CHECK_RC (zmq_close (pulls[i]));
}

static void test_fair_queue (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://fq"));
    void *pushes[3];
    for (int i = 0; i < 3; i++) {
        pushes[i] = SOCKET (ctx, ZMQ_PUSH);
        CHECK_RC (zmq_connect (pushes[i], "inproc://fq"));
    }
    //  Every sender queues four two-part messages before anything is read.
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) {
            char buf[16];
            snprintf (buf, sizeof buf, "%c%d", 'A' + i, k);
            SEND_STR (pushes[i], buf, ZMQ_SNDMORE);
            SEND_STR (pushes[i], "end", 0);
        }
    //  The PULL takes one message from each sender in turn: every round of
    //  three holds one message of each, and each sender's order is kept.
    int next[3] = {0, 0, 0};
    for (int round = 0; round < 4; round++) {
        int seen = 0;
        for (int k = 0; k < 3; k++) {
            char buf[16];
            CHECK (CHECK_RC (recv_buf (pull, buf, sizeof buf, 0)) == 2);
            const int who = buf[0] - 'A';
            CHECK (who >= 0 && who < 3);
            CHECK (buf[1] - '0' == next[who]);
            next[who]++;
            seen |= 1 << who;
            CHECK (RCVMORE (pull) == 1);
            RECV_STR (pull, "end", 0);
            CHECK (RCVMORE (pull) == 0);
        }
        CHECK (seen == 7);
    }
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (pull));
    for (int i = 0; i < 3; i++)
        CHECK_RC (zmq_close (pushes[i]));
}

//  Sends one-byte messages without blocking until the pipe is full.
static int fill (void *push, int limit)
{
    int n = 0;
    while (n < limit) {
        if (zmq_send (push, "x", 1, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            break;
        }
        n++;
    }
    return n;
}

static void hwm_case (void *ctx, int sndhwm, int rcvhwm, int connect_first,
                      const char *endpoint)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, sndhwm);
    SET_INT (pull, ZMQ_RCVHWM, rcvhwm);
    CHECK (GET_INT (push, ZMQ_SNDHWM) == sndhwm);
    CHECK (GET_INT (pull, ZMQ_RCVHWM) == rcvhwm);
    if (connect_first) {
        CHECK_RC (zmq_connect (push, endpoint));
        CHECK_RC (zmq_bind (pull, endpoint));
    } else {
        CHECK_RC (zmq_bind (pull, endpoint));
        CHECK_RC (zmq_connect (push, endpoint));
    }
    const int capacity = sndhwm + rcvhwm;
    CHECK (fill (push, capacity + 100) == capacity);
    CHECK ((GET_INT (push, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
    //  A blocking send waits for room, until SNDTIMEO.
    SET_INT (push, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);

    //  Draining the queue makes room again.
    for (int i = 0; i < capacity; i++)
        RECV_STR (pull, "x", 0);
    char buf[4];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 2000);
    SEND_STR (push, "y", 0);
    RECV_STR (pull, "y", 0);

    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_hwm (void *ctx)
{
    //  Defaults are 1000 each way.
    void *s = SOCKET (ctx, ZMQ_PUSH);
    CHECK (GET_INT (s, ZMQ_SNDHWM) == 1000);
    CHECK (GET_INT (s, ZMQ_RCVHWM) == 1000);
    CHECK_RC (zmq_close (s));

    hwm_case (ctx, 5, 5, 0, "inproc://hwm-a");
    hwm_case (ctx, 5, 5, 1, "inproc://hwm-b");
    hwm_case (ctx, 1, 1, 0, "inproc://hwm-c");
    hwm_case (ctx, 3, 7, 0, "inproc://hwm-d");
    hwm_case (ctx, 3, 7, 1, "inproc://hwm-e");
    hwm_case (ctx, 1000, 1000, 0, "inproc://hwm-f");

    //  A multipart message counts once against the high-water mark, and is
    //  accepted or refused as a whole (the first part decides).
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, 2);
    SET_INT (pull, ZMQ_RCVHWM, 2);
    CHECK_RC (zmq_bind (pull, "inproc://hwm-multipart"));
    CHECK_RC (zmq_connect (push, "inproc://hwm-multipart"));
    for (int i = 0; i < 4; i++) {
        SEND_STR (push, "1", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        SEND_STR (push, "2", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        SEND_STR (push, "3", ZMQ_DONTWAIT);
    }
    CHECK_ERR (zmq_send (push, "1", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EAGAIN);
    for (int i = 0; i < 4; i++) {
        RECV_STR (pull, "1", 0);
        RECV_STR (pull, "2", 0);
        RECV_STR (pull, "3", 0);
        CHECK (RCVMORE (pull) == 0);
    }
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));

    //  Over inproc the two marks are added; when either side is 0 (no
    //  limit) the pipe has no limit.
    push = SOCKET (ctx, ZMQ_PUSH);
    pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, 10);
    SET_INT (pull, ZMQ_RCVHWM, 0);
    CHECK_RC (zmq_bind (pull, "inproc://hwm-unlimited"));
    CHECK_RC (zmq_connect (push, "inproc://hwm-unlimited"));
    CHECK (fill (push, 5000) == 5000);
    for (int i = 0; i < 5000; i++)
        RECV_STR (pull, "x", 0);
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_sndtimeo (void *ctx)
{
    //  No peer at all: a PUSH has nowhere to put the message.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (push, "inproc://sndtimeo"));
    CHECK (GET_INT (push, ZMQ_SNDTIMEO) == -1);
    CHECK_ERR (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 0);
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 200);
    const long long start = now_ms ();
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);
    const long long elapsed = now_ms () - start;
    CHECK (elapsed >= 150);
    CHECK (elapsed < 5000);

    //  RCVTIMEO likewise on an empty PULL.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_RCVTIMEO, 100);
    char buf[4];
    const long long start2 = now_ms ();
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, 0), EAGAIN);
    CHECK (now_ms () - start2 >= 70);
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push));
}

static void test_immediate (void *ctx)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK (GET_INT (push, ZMQ_IMMEDIATE) == 0);
    SET_INT (push, ZMQ_IMMEDIATE, 1);
    CHECK (GET_INT (push, ZMQ_IMMEDIATE) == 1);
    //  Without any connection there is no pipe to queue on.
    CHECK_ERR (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);

    //  Inproc connections are complete as soon as both ends exist.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://immediate"));
    CHECK_RC (zmq_connect (push, "inproc://immediate"));
    SEND_STR (push, "now", ZMQ_DONTWAIT);
    RECV_STR (pull, "now", 0);

    //  libzmq gives an inproc connect to a not-yet-bound endpoint its pipe
    //  at once, IMMEDIATE or not: messages queue until the bind.
    void *push2 = SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push2, ZMQ_IMMEDIATE, 1);
    CHECK_RC (zmq_connect (push2, "inproc://immediate-later"));
    SEND_STR (push2, "queued", ZMQ_DONTWAIT);
    void *pull2 = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull2, "inproc://immediate-later"));
    RECV_STR (pull2, "queued", 0);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push2));
    CHECK_RC (zmq_close (pull2));
}

static void test_conflate (void *ctx)
{
    //  The connecting PULL has CONFLATE: only the newest message is kept.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK (GET_INT (pull, ZMQ_CONFLATE) == 0);
    SET_INT (pull, ZMQ_CONFLATE, 1);
    CHECK (GET_INT (pull, ZMQ_CONFLATE) == 1);
    CHECK_RC (zmq_bind (push, "inproc://conflate"));
    CHECK_RC (zmq_connect (pull, "inproc://conflate"));
    //  A conflated pipe has no high-water mark: sends never block.
    for (int i = 0; i < 2000; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "msg%d", i);
        SEND_STR (push, buf, ZMQ_DONTWAIT);
    }
    RECV_STR (pull, "msg1999", 0);
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    //  And again after the queue was emptied.
    SEND_STR (push, "a", 0);
    SEND_STR (push, "b", 0);
    RECV_STR (pull, "b", 0);
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SEND_STR (push, "c", 0);
    RECV_STR (pull, "c", 0);

    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_round_robin (ctx);
    test_fair_queue (ctx);
    test_hwm (ctx);
    test_sndtimeo (ctx);
    test_immediate (ctx);
    test_conflate (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
