// ZMQ_FD and ZMQ_EVENTS: the fd works with poll() and epoll, is stable, and
// follows the edge contract event loops rely on: it becomes readable when
// the socket may have become ready; after ZMQ_EVENTS was read it is not
// readable even while a message is pending; once the queue was drained
// (recv until EAGAIN, or ZMQ_EVENTS without POLLIN) a new message makes it
// readable again. The same for POLLOUT when a full pipe gets room.
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
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>

static int get_fd (void *s)
{
    int fd = -1;
    size_t size = sizeof fd;
    CHECK_RC (zmq_getsockopt (s, ZMQ_FD, &fd, &size));
    CHECK (size == sizeof fd);
    CHECK (fd >= 0);
    return fd;
}

//  Whether the fd is readable within ms milliseconds (0: right now).
static int fd_readable (int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    const int rc = poll (&p, 1, ms);
    CHECK (rc >= 0);
    if (rc == 1)
        CHECK (p.revents == POLLIN);
    return rc == 1;
}

#define EVENTS(s) GET_INT ((s), ZMQ_EVENTS)

struct delayed
{
    void *socket;
    int delay_ms;
};

static void *delayed_send (void *arg)
{
    struct delayed *d = (struct delayed *) arg;
    sleep_ms (d->delay_ms);
    SEND_STR (d->socket, "late", 0);
    return NULL;
}

static void test_fd_basics (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PULL);
    void *b = SOCKET (ctx, ZMQ_PULL);
    const int fd = get_fd (a);
    //  Stable across calls, distinct per socket, a real descriptor.
    CHECK (get_fd (a) == fd);
    CHECK (get_fd (a) == fd);
    CHECK (get_fd (b) != fd);
    CHECK (fcntl (fd, F_GETFD) != -1);
    //  A fresh socket is neither readable nor writable.
    CHECK (EVENTS (a) == 0);
    CHECK (!fd_readable (fd, 0));
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_pollin_edges (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "inproc://fd-edges"));
    CHECK_RC (zmq_connect (push, "inproc://fd-edges"));
    const int fd = get_fd (pull);

    const int ep = epoll_create1 (0);
    CHECK (ep >= 0);
    struct epoll_event reg = {0};
    reg.events = EPOLLIN;
    reg.data.fd = fd;
    CHECK (epoll_ctl (ep, EPOLL_CTL_ADD, fd, &reg) == 0);
    struct epoll_event got;

    //  Nothing pending: after reading EVENTS the fd is quiet.
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    CHECK (!fd_readable (fd, 0));
    CHECK (epoll_wait (ep, &got, 1, 0) == 0);

    //  A message arrives: the fd becomes readable.
    SEND_STR (push, "a", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (epoll_wait (ep, &got, 1, 2000) == 1);
    CHECK (got.data.fd == fd && (got.events & EPOLLIN));
    //  Reading EVENTS reports it and clears the fd, although the message is
    //  still there.
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    CHECK (!fd_readable (fd, 0));
    CHECK (epoll_wait (ep, &got, 1, 0) == 0);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "a", ZMQ_DONTWAIT);

    //  Drained (recv until EAGAIN): a new message makes it readable again.
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SEND_STR (push, "b", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    CHECK (!fd_readable (fd, 0));
    RECV_STR (pull, "b", ZMQ_DONTWAIT);

    //  Drained (EVENTS shows no POLLIN): likewise.
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    SEND_STR (push, "c", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (epoll_wait (ep, &got, 1, 2000) == 1);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    //  Several pending messages are all there after one wake-up.
    SEND_STR (push, "d", 0);
    SEND_STR (push, "e", 0);
    RECV_STR (pull, "c", ZMQ_DONTWAIT);
    RECV_STR (pull, "d", ZMQ_DONTWAIT);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "e", ZMQ_DONTWAIT);
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    CHECK (!fd_readable (fd, 0));

    //  A thread blocked in poll() on the fd is woken by a message sent from
    //  another thread.
    struct delayed d = {push, 100};
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, delayed_send, &d) == 0);
    const long long start = now_ms ();
    CHECK (fd_readable (fd, 5000));
    CHECK (now_ms () - start >= 50);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "late", ZMQ_DONTWAIT);

    //  A PULL never reports POLLOUT.
    CHECK ((EVENTS (pull) & ZMQ_POLLOUT) == 0);

    CHECK (close (ep) == 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_pollout_edges (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push, ZMQ_SNDHWM, 1);
    SET_INT (pull, ZMQ_RCVHWM, 1);
    const int fd = get_fd (push);

    //  Without a peer there is no POLLOUT.
    CHECK (EVENTS (push) == 0);
    CHECK_RC (zmq_bind (pull, "inproc://fd-pollout"));
    CHECK_RC (zmq_connect (push, "inproc://fd-pollout"));
    CHECK (EVENTS (push) == ZMQ_POLLOUT);
    CHECK (!fd_readable (fd, 0));

    //  Fill the pipe (1 + 1 messages): POLLOUT goes away.
    SEND_STR (push, "1", ZMQ_DONTWAIT);
    SEND_STR (push, "2", ZMQ_DONTWAIT);
    char buf[16];
    CHECK_ERR (zmq_send (push, "3", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK ((EVENTS (push) & ZMQ_POLLOUT) == 0);
    CHECK (!fd_readable (fd, 0));

    //  The reader makes room: the writer's fd wakes up and POLLOUT is back.
    RECV_STR (pull, "1", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (EVENTS (push) & ZMQ_POLLOUT);
    CHECK (!fd_readable (fd, 0));
    SEND_STR (push, "3", ZMQ_DONTWAIT);
    RECV_STR (pull, "2", 0);
    RECV_STR (pull, "3", 0);
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    watchdog ();
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    test_fd_basics (ctx);
    test_pollin_edges (ctx);
    test_pollout_edges (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
