// Context termination: zmq_ctx_term waits until every socket is closed,
// wakes threads blocked in zmq_recv, zmq_send and zmq_poll with ETERM,
// zmq_ctx_shutdown does the same without waiting, LINGER defaults, and
// pending inproc messages (delivered after the sender closed, never
// blocking termination once both ends are closed).
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

enum op { OP_RECV, OP_SEND, OP_POLL, OP_MSG_RECV };

struct blocked
{
    void *socket;
    enum op op;
    int rc;
    int err;
};

//  Blocks in one call until the context goes away, then closes its socket.
static void *block (void *arg)
{
    struct blocked *b = (struct blocked *) arg;
    char buf[16];
    switch (b->op) {
        case OP_RECV:
            b->rc = zmq_recv (b->socket, buf, sizeof buf, 0);
            break;
        case OP_SEND:
            b->rc = zmq_send (b->socket, "x", 1, 0);
            break;
        case OP_POLL: {
            zmq_pollitem_t item = {b->socket, 0, ZMQ_POLLIN, 0};
            b->rc = zmq_poll (&item, 1, -1);
            break;
        }
        case OP_MSG_RECV: {
            zmq_msg_t msg;
            CHECK_RC (zmq_msg_init (&msg));
            b->rc = zmq_msg_recv (&msg, b->socket, 0);
            CHECK_RC (zmq_msg_close (&msg));
            break;
        }
    }
    b->err = errno;
    CHECK_RC (zmq_close (b->socket));
    return NULL;
}

struct term_args
{
    void *ctx;
    int rc;
    volatile int done;
};

static void *term_thread (void *arg)
{
    struct term_args *t = (struct term_args *) arg;
    t->rc = zmq_ctx_term (t->ctx);
    __atomic_store_n (&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_term_waits_for_close (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    //  Plain sockets here: a receive timeout would end the blocking calls
    //  before the context does.
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (s, "inproc://waits"));
    struct term_args t = {ctx, 0, 0};
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, term_thread, &t) == 0);
    sleep_ms (200);
    //  Still open: termination has not finished.
    CHECK (!__atomic_load_n (&t.done, __ATOMIC_SEQ_CST));
    //  Every call on the socket now fails with ETERM.
    char buf[4];
    CHECK_ERR (zmq_recv (s, buf, sizeof buf, 0), ETERM);
    CHECK_ERR (zmq_send (s, "x", 1, ZMQ_DONTWAIT), ETERM);
    CHECK (!__atomic_load_n (&t.done, __ATOMIC_SEQ_CST));
    CHECK_RC (zmq_close (s));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (t.rc == 0);
}

static void test_blocked_calls (int shutdown_first)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    struct blocked b[5] = {
      {PLAIN_SOCKET (ctx, ZMQ_PULL), OP_RECV, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_PUSH), OP_SEND, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_SUB), OP_POLL, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_REP), OP_MSG_RECV, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_DEALER), OP_RECV, 0, 0}};
    //  Some have peers and bindings, some not; none will get a message.
    CHECK_RC (zmq_bind (b[0].socket, "inproc://blocked-pull"));
    CHECK_RC (zmq_bind (b[1].socket, "inproc://blocked-push"));
    CHECK_RC (zmq_connect (b[2].socket, "inproc://blocked-nowhere"));
    CHECK_RC (zmq_setsockopt (b[2].socket, ZMQ_SUBSCRIBE, "", 0));
    CHECK_RC (zmq_bind (b[3].socket, "inproc://blocked-rep"));
    CHECK_RC (zmq_connect (b[4].socket, "inproc://blocked-rep"));
    pthread_t threads[5];
    for (int i = 0; i < 5; i++)
        CHECK (pthread_create (&threads[i], NULL, block, &b[i]) == 0);
    sleep_ms (100);

    if (shutdown_first) {
        //  zmq_ctx_shutdown wakes everyone and returns at once; new sockets
        //  are refused; zmq_ctx_term then waits for the closes.
        CHECK_RC (zmq_ctx_shutdown (ctx));
        for (int i = 0; i < 5; i++)
            CHECK (pthread_join (threads[i], NULL) == 0);
        CHECK (zmq_socket (ctx, ZMQ_PAIR) == NULL);
        CHECK (errno == ETERM);
        CHECK_RC (zmq_ctx_term (ctx));
    } else {
        CHECK_RC (zmq_ctx_term (ctx));
        for (int i = 0; i < 5; i++)
            CHECK (pthread_join (threads[i], NULL) == 0);
    }
    for (int i = 0; i < 5; i++) {
        if (b[i].rc != -1 || b[i].err != ETERM) {
            fprintf (stderr, "blocked call %d: rc %d errno %d\n", i, b[i].rc,
                     b[i].err);
            CHECK (0);
        }
    }
}

static void test_linger_defaults (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    const int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_REQ,  ZMQ_REP,
                         ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH,
                         ZMQ_XPUB, ZMQ_STREAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = PLAIN_SOCKET (ctx, types[i]);
        CHECK (GET_INT (s, ZMQ_LINGER) == -1);
        CHECK_RC (zmq_close (s));
    }
    //  Subscribers do not linger on their subscriptions.
    void *sub = PLAIN_SOCKET (ctx, ZMQ_SUB);
    void *xsub = PLAIN_SOCKET (ctx, ZMQ_XSUB);
    CHECK (GET_INT (sub, ZMQ_LINGER) == 0);
    CHECK (GET_INT (xsub, ZMQ_LINGER) == 0);
    SET_INT (sub, ZMQ_LINGER, 250);
    CHECK (GET_INT (sub, ZMQ_LINGER) == 250);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_pending_messages (void)
{
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);

    //  Messages already sent are delivered after the sender closed.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "inproc://pending"));
    CHECK_RC (zmq_connect (push, "inproc://pending"));
    for (int i = 0; i < 10; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "m%d", i);
        SEND_STR (push, buf, 0);
    }
    SEND_STR (push, "multi", ZMQ_SNDMORE);
    SEND_STR (push, "part", 0);
    CHECK_RC (zmq_close (push));
    for (int i = 0; i < 10; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "m%d", i);
        RECV_STR (pull, buf, 0);
    }
    RECV_STR (pull, "multi", 0);
    RECV_STR (pull, "part", 0);
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (pull));

    //  Sockets of every classic type, connected in pairs with messages left
    //  unread both ways, closed with the default (infinite) linger: once
    //  both ends are closed, termination does not wait for anyone.
    const int pairs[][2] = {{ZMQ_PAIR, ZMQ_PAIR},     {ZMQ_PUSH, ZMQ_PULL},
                            {ZMQ_REQ, ZMQ_REP},       {ZMQ_DEALER, ZMQ_ROUTER},
                            {ZMQ_PUB, ZMQ_SUB},       {ZMQ_XPUB, ZMQ_XSUB},
                            {ZMQ_DEALER, ZMQ_DEALER}, {ZMQ_ROUTER, ZMQ_DEALER}};
    const int npairs = sizeof pairs / sizeof pairs[0];
    void *sockets[sizeof pairs / sizeof pairs[0]][2];
    for (int i = 0; i < npairs; i++) {
        char ep[32];
        snprintf (ep, sizeof ep, "inproc://pair-%d", i);
        void *a = PLAIN_SOCKET (ctx, pairs[i][0]);
        void *b = PLAIN_SOCKET (ctx, pairs[i][1]);
        CHECK_RC (zmq_bind (a, ep));
        CHECK_RC (zmq_connect (b, ep));
        sockets[i][0] = a;
        sockets[i][1] = b;
        if (pairs[i][1] == ZMQ_SUB)
            CHECK_RC (zmq_setsockopt (b, ZMQ_SUBSCRIBE, "", 0));
        if (pairs[i][1] == ZMQ_XSUB)
            CHECK (zmq_send (b, "\1", 1, 0) == 1);
        for (int side = 0; side < 2; side++) {
            void *s = sockets[i][side];
            const int type = pairs[i][side];
            const int count = type == ZMQ_REQ ? 1
                              : type == ZMQ_ROUTER || type == ZMQ_SUB
                                  || type == ZMQ_XSUB || type == ZMQ_REP
                                  || type == ZMQ_PULL
                                ? 0
                                : 5;
            for (int k = 0; k < count; k++)
                CHECK (zmq_send (s, "pending", 7, ZMQ_DONTWAIT) == 7);
        }
    }
    //  A STREAM, and a PUSH whose endpoint was never bound, with a queued
    //  message.
    void *stream = PLAIN_SOCKET (ctx, ZMQ_STREAM);
    CHECK_RC (zmq_bind (stream, "inproc://stream"));
    void *orphan = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (orphan, "inproc://never-bound"));
    CHECK (zmq_send (orphan, "lost", 4, ZMQ_DONTWAIT) == 4);

    for (int i = 0; i < npairs; i++) {
        CHECK_RC (zmq_close (sockets[i][0]));
        CHECK_RC (zmq_close (sockets[i][1]));
    }
    CHECK_RC (zmq_close (stream));
    CHECK_RC (zmq_close (orphan));
    const long long start = now_ms ();
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (now_ms () - start < 5000);
}

static void test_linger_zero (void)
{
    //  LINGER 0: close discards what is still queued for a peer that never
    //  reads it, and termination is immediate.
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *push = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    void *pull = PLAIN_SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://linger-zero"));
    CHECK_RC (zmq_connect (push, "inproc://linger-zero"));
    SET_INT (push, ZMQ_LINGER, 0);
    for (int i = 0; i < 100; i++)
        CHECK (zmq_send (push, "x", 1, ZMQ_DONTWAIT) == 1);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    const long long start = now_ms ();
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (now_ms () - start < 5000);
}

int main (void)
{
    watchdog ();
    test_term_waits_for_close ();
    test_blocked_calls (0);
    test_blocked_calls (1);
    test_linger_defaults ();
    test_pending_messages ();
    test_linger_zero ();
    //  The old names still work.
    void *ctx = zmq_init (1);
    CHECK (ctx);
    void *s = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_term (ctx));
    return 0;
}
