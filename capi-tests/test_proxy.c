// zmq_proxy over inproc: ROUTER/DEALER forwarding REQ/REP both ways,
// XSUB/XPUB forwarding subscriptions upstream and data downstream,
// PULL/PUSH streaming, a capture socket receiving a copy of every frame, and
// the proxy ending with -1/ETERM when its context is terminated.
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

struct proxy_args
{
    void *frontend;
    void *backend;
    void *capture;
    int rc;
    int err;
};

//  Runs the proxy, then closes its sockets so the context can terminate.
static void *run_proxy (void *arg)
{
    struct proxy_args *p = (struct proxy_args *) arg;
    p->rc = zmq_proxy (p->frontend, p->backend, p->capture);
    p->err = errno;
    CHECK_RC (zmq_close (p->frontend));
    CHECK_RC (zmq_close (p->backend));
    if (p->capture)
        CHECK_RC (zmq_close (p->capture));
    return NULL;
}

//  Terminates the context and checks the proxy ended with ETERM.
static void finish (void *ctx, pthread_t thread, struct proxy_args *args)
{
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args->rc == -1);
    CHECK (args->err == ETERM);
}

//  Receives one whole message from the capture socket and checks it has
//  the given parts (NULL entries match any content).
static void expect_capture (void *capture, const char *const *parts, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[256];
        CHECK (CHECK_RC (recv_buf (capture, buf, sizeof buf, 0)) >= 0);
        if (parts[i])
            CHECK (strcmp (buf, parts[i]) == 0);
        CHECK (RCVMORE (capture) == (i < n - 1));
    }
}

static void test_queue_with_capture (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER),
                              SOCKET (ctx, ZMQ_PUSH), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    CHECK_RC (zmq_bind (args.capture, "inproc://capture"));
    void *capture = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (capture, "inproc://capture"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    //  Two clients and two services.
    void *req[2], *rep[2];
    for (int i = 0; i < 2; i++) {
        req[i] = SOCKET (ctx, ZMQ_REQ);
        char id[8];
        snprintf (id, sizeof id, "C%d", i);
        CHECK_RC (zmq_setsockopt (req[i], ZMQ_ROUTING_ID, id, 2));
        CHECK_RC (zmq_connect (req[i], "inproc://front"));
        rep[i] = SOCKET (ctx, ZMQ_REP);
        CHECK_RC (zmq_connect (rep[i], "inproc://back"));
    }

    //  One request: the service sees the body alone, the client the reply,
    //  and the capture socket a copy of the request envelope and of the
    //  reply envelope, frame by frame.
    SEND_STR (req[0], "hello", 0);
    zmq_pollitem_t items[2] = {{rep[0], 0, ZMQ_POLLIN, 0},
                               {rep[1], 0, ZMQ_POLLIN, 0}};
    CHECK (CHECK_RC (zmq_poll (items, 2, 5000)) == 1);
    void *service = items[0].revents ? rep[0] : rep[1];
    RECV_STR (service, "hello", 0);
    CHECK (RCVMORE (service) == 0);
    SEND_STR (service, "world", 0);
    RECV_STR (req[0], "world", 0);
    {
        const char *request[] = {"C0", "", "hello"};
        expect_capture (capture, request, 3);
        const char *reply[] = {"C0", "", "world"};
        expect_capture (capture, reply, 3);
    }

    //  Many requests from both clients, multipart bodies included.
    for (int round = 0; round < 10; round++) {
        for (int c = 0; c < 2; c++) {
            char body[32];
            snprintf (body, sizeof body, "r%d-c%d", round, c);
            SEND_STR (req[c], body, ZMQ_SNDMORE);
            SEND_STR (req[c], "tail", 0);
        }
        for (int k = 0; k < 2; k++) {
            CHECK (CHECK_RC (zmq_poll (items, 2, 5000)) >= 1);
            service = items[0].revents ? rep[0] : rep[1];
            char body[32];
            CHECK_RC (recv_buf (service, body, sizeof body, 0));
            CHECK (RCVMORE (service) == 1);
            RECV_STR (service, "tail", 0);
            SEND_STR (service, body, 0);
        }
        for (int c = 0; c < 2; c++) {
            char body[32];
            snprintf (body, sizeof body, "r%d-c%d", round, c);
            RECV_STR (req[c], body, 0);
            CHECK (RCVMORE (req[c]) == 0);
        }
    }
    //  The capture saw 20 requests of 4 parts and 20 replies of 3.
    int sizes[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 40; i++) {
        char buf[64];
        CHECK_RC (recv_buf (capture, buf, sizeof buf, 0));
        int parts = 1;
        while (RCVMORE (capture)) {
            CHECK_RC (recv_buf (capture, buf, sizeof buf, 0));
            parts++;
        }
        CHECK (parts == 4 || parts == 3);
        sizes[parts]++;
    }
    CHECK (sizes[3] == 20 && sizes[4] == 20);
    char buf[16];
    CHECK_ERR (zmq_recv (capture, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    for (int i = 0; i < 2; i++) {
        CHECK_RC (zmq_close (req[i]));
        CHECK_RC (zmq_close (rep[i]));
    }
    SET_INT (capture, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (capture));
    finish (ctx, thread, &args);
}

static void test_forwarder (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_XSUB),
                              SOCKET (ctx, ZMQ_XPUB), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://fwd-in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://fwd-out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (pub, "inproc://fwd-in"));
    CHECK_RC (zmq_connect (sub, "inproc://fwd-out"));
    //  The subscription travels upstream through the proxy to the PUB.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    int synced = 0;
    for (int attempt = 0; attempt < 500 && !synced; attempt++) {
        SEND_STR (pub, "A-sync", 0);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        synced = CHECK_RC (zmq_poll (&item, 1, 10));
    }
    CHECK (synced);
    SEND_STR (pub, "B-skip", 0);
    SEND_STR (pub, "A-data", ZMQ_SNDMORE);
    SEND_STR (pub, "more", 0);
    SEND_STR (pub, "A-end", 0);
    char buf[32];
    for (;;) {
        CHECK_RC (recv_buf (sub, buf, sizeof buf, 0));
        if (strcmp (buf, "A-sync") != 0)
            break;
    }
    CHECK (strcmp (buf, "A-data") == 0);
    CHECK (RCVMORE (sub));
    RECV_STR (sub, "more", 0);
    RECV_STR (sub, "A-end", 0);

    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
    finish (ctx, thread, &args);
}

static void test_streamer (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct proxy_args args = {SOCKET (ctx, ZMQ_PULL),
                              SOCKET (ctx, ZMQ_PUSH), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://stream-in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://stream-out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (push, "inproc://stream-in"));
    CHECK_RC (zmq_connect (pull, "inproc://stream-out"));
    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        SEND_STR (push, buf, 0);
    }
    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        RECV_STR (pull, buf, 0);
    }
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    finish (ctx, thread, &args);
}

static void test_errors (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *s = SOCKET (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_proxy (NULL, s, NULL), EFAULT);
    CHECK_ERR (zmq_proxy (s, NULL, NULL), EFAULT);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    watchdog ();
    test_errors ();
    test_queue_with_capture ();
    test_forwarder ();
    test_streamer ();
    return 0;
}
