/*  Helpers shared by the C API tests: assertions that report file:line and the
    failing expression then exit(1), a millisecond sleep, a clock, a watchdog,
    cases isolated in child processes, socket shortcuts (creation, int
    options, string frames) that fail the test at the caller's line, monitor
    events, and a ZAP handler on its own thread. Only the
    C library, POSIX and zmq.h. Everything is a macro or a static inline
    function, so a test pays for none it leaves unused. */
#ifndef CAPI_TESTUTIL_H
#define CAPI_TESTUTIL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <zmq.h>

#define TEST_FAIL_(...)                                                        \
    do {                                                                       \
        fprintf (stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf (stderr, __VA_ARGS__);                                         \
        fputc ('\n', stderr);                                                  \
        exit (1);                                                              \
    } while (0)

/*  The condition must hold. */
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            TEST_FAIL_ ("check failed: %s", #cond);                            \
    } while (0)

/*  A zmq call that must succeed: anything but -1. Evaluates to the result. */
#define CHECK_RC(expr) check_rc_ ((int) (expr), #expr, __FILE__, __LINE__)

static inline int check_rc_ (int rc, const char *expr, const char *file,
                             int line)
{
    if (rc == -1) {
        int e = errno;
        fprintf (stderr, "%s:%d: %s failed: %s (errno %d)\n", file, line, expr,
                 zmq_strerror (e), e);
        exit (1);
    }
    return rc;
}

/*  A zmq call that must fail with -1 and the given errno. */
#define CHECK_ERR(expr, err)                                                   \
    do {                                                                       \
        errno = 0;                                                             \
        int rc_ = (int) (expr);                                                \
        int e_ = errno;                                                        \
        if (rc_ != -1)                                                         \
            TEST_FAIL_ ("%s returned %d, expected -1 with %s", #expr, rc_,     \
                        #err);                                                 \
        if (e_ != (err))                                                       \
            TEST_FAIL_ ("%s failed with errno %d (%s), expected %s (%d)",      \
                        #expr, e_, zmq_strerror (e_), #err, (err));            \
    } while (0)

/*  A call returning a pointer that must not be NULL. Evaluates to it. */
#define CHECK_PTR(expr) check_ptr_ ((void *) (expr), #expr, __FILE__, __LINE__)

static inline void *check_ptr_ (void *p, const char *expr, const char *file,
                                int line)
{
    if (p == NULL) {
        int e = errno;
        fprintf (stderr, "%s:%d: %s returned NULL: %s (errno %d)\n", file, line,
                 expr, zmq_strerror (e), e);
        exit (1);
    }
    return p;
}

/*  A call returning a pointer that must be NULL with the given errno. */
#define CHECK_NULL_ERR(expr, err)                                              \
    do {                                                                       \
        errno = 0;                                                             \
        const void *p_ = (const void *) (expr);                                \
        int e_ = errno;                                                        \
        if (p_ != NULL)                                                        \
            TEST_FAIL_ ("%s returned non-NULL, expected NULL with %s", #expr,  \
                        #err);                                                 \
        if (e_ != (err))                                                       \
            TEST_FAIL_ ("%s failed with errno %d (%s), expected %s (%d)",      \
                        #expr, e_, zmq_strerror (e_), #err, (err));            \
    } while (0)

/*  Two integers must be equal; both are printed when they are not. */
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long a_ = (long long) (a), b_ = (long long) (b);                  \
        if (a_ != b_)                                                          \
            TEST_FAIL_ ("check failed: %s == %s (%lld != %lld)", #a, #b, a_,   \
                        b_);                                                   \
    } while (0)

/*  Two NUL-terminated strings must be equal. */
#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                  \
            TEST_FAIL_ ("check failed: %s == %s (\"%s\" != \"%s\")", #a, #b,   \
                        a_ ? a_ : "(null)", b_ ? b_ : "(null)");               \
    } while (0)

/*  Sleeps ms milliseconds, resuming after a signal. */
static inline void msleep (int ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long) (ms % 1000) * 1000000L;
    while (nanosleep (&ts, &ts) == -1 && errno == EINTR) {
    }
}

/*  Monotonic milliseconds. */
static inline long long now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void test_timeout_handler_ (int sig)
{
    static const char m[] = "test timed out (TEST_TIMEOUT watchdog)\n";
    (void) sig;
    if (write (2, m, sizeof m - 1) < 0) {
    }
    _exit (3);
}

/*  Kills the test if it has not finished within the given number of seconds. */
#define TEST_TIMEOUT(seconds)                                                  \
    do {                                                                       \
        signal (SIGALRM, test_timeout_handler_);                               \
        alarm (seconds);                                                       \
    } while (0)

/*  One case of run_isolated_cases. */
struct isolated_case
{
    const char *name;
    void (*fn) (void *);
    void *arg;
};

/*  Runs each case in a child process of its own, all at once, each ending
    after at most seconds, so that a case which kills or hangs the process is
    reported by name while the others still run. What a case writes to
    stderr is shown after its verdict. Returns how many cases failed (a case
    passes when its child exits with status 0). Call it before the test
    creates a context (a child gets none of the parent's library threads). */
static inline int run_isolated_cases (const struct isolated_case *cases,
                                      int n, int seconds)
{
    pid_t pids[64];
    FILE *logs[64];
    int failed = 0;
    if (n > 64) {
        fprintf (stderr, "run_isolated_cases: at most 64 cases\n");
        return n;
    }
    fflush (stdout);
    fflush (stderr);
    for (int i = 0; i < n; i++) {
        logs[i] = tmpfile ();
        pids[i] = logs[i] ? fork () : -1;
        if (pids[i] == 0) {
            dup2 (fileno (logs[i]), 2);
            signal (SIGALRM, test_timeout_handler_);
            alarm ((unsigned) seconds);
            cases[i].fn (cases[i].arg);
            _exit (0);
        }
    }
    for (int i = 0; i < n; i++) {
        int status = 0;
        if (pids[i] < 0) {
            fprintf (stderr, "FAILED: %s: could not start\n", cases[i].name);
            failed++;
            continue;
        }
        while (waitpid (pids[i], &status, 0) == -1 && errno == EINTR) {
        }
        if (WIFEXITED (status) && WEXITSTATUS (status) == 0) {
            fprintf (stderr, "ok: %s\n", cases[i].name);
        } else {
            failed++;
            if (WIFEXITED (status) && WEXITSTATUS (status) == 3)
                fprintf (stderr, "FAILED: %s: timed out after %d s\n",
                         cases[i].name, seconds);
            else if (WIFEXITED (status))
                fprintf (stderr, "FAILED: %s: exit status %d\n",
                         cases[i].name, WEXITSTATUS (status));
            else
                fprintf (stderr, "FAILED: %s: killed by signal %d%s\n",
                         cases[i].name, WTERMSIG (status),
                         WTERMSIG (status) == SIGPIPE ? " (SIGPIPE)" : "");
        }
        char line[1024];
        rewind (logs[i]);
        while (fgets (line, sizeof line, logs[i]))
            fprintf (stderr, "    %s", line);
        fclose (logs[i]);
    }
    return failed;
}

/*  The same for one case: 0 when it passed, 1 when it failed. */
static inline int run_isolated (const char *name, void (*fn) (void *),
                                void *arg, int seconds)
{
    const struct isolated_case c = {name, fn, arg};
    return run_isolated_cases (&c, 1, seconds);
}

/*  A socket with every option at its default. */
#define PLAIN_SOCKET(ctx, type)                                                \
    check_ptr_ (zmq_socket ((ctx), (type)), "zmq_socket (" #type ")",         \
                __FILE__, __LINE__)

/*  A socket whose blocking receives give up after 5 s, so a lost message
    fails at the line that waited for it. */
#define SOCKET(ctx, type)                                                      \
    bounded_recv_ (check_ptr_ (zmq_socket ((ctx), (type)),                     \
                               "zmq_socket (" #type ")", __FILE__, __LINE__),  \
                   __FILE__, __LINE__)

static inline void *bounded_recv_ (void *s, const char *file, int line)
{
    const int timeout = 5000;
    check_rc_ (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout),
               "zmq_setsockopt (ZMQ_RCVTIMEO)", file, line);
    return s;
}

/*  Sets an int socket option; it must succeed. */
#define SET_INT(s, opt, value)                                                 \
    do {                                                                       \
        const int v_ = (value);                                                \
        CHECK_RC (zmq_setsockopt ((s), (opt), &v_, sizeof v_));                \
    } while (0)

/*  Reads an int socket option; it must succeed. Evaluates to its value. */
#define GET_INT(s, opt) get_int_ ((s), (opt), __FILE__, __LINE__)

static inline int get_int_ (void *s, int opt, const char *file, int line)
{
    int value = 0;
    size_t size = sizeof value;
    check_rc_ (zmq_getsockopt (s, opt, &value, &size), "zmq_getsockopt", file,
               line);
    return value;
}

/*  Whether the frame just received has more parts after it. */
#define RCVMORE(s) GET_INT ((s), ZMQ_RCVMORE)

/*  Prints len bytes as a C string literal would show them. */
static inline void print_bytes_ (const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *) data;
    fputc ('"', stderr);
    for (size_t i = 0; i < len; i++)
        fprintf (stderr, p[i] >= 32 && p[i] < 127 ? "%c" : "\\x%02x", p[i]);
    fputc ('"', stderr);
}

/*  Sends len bytes as one frame; all of them must go. */
static inline void send_bytes_ (void *s, const void *data, size_t len,
                                int flags, const char *file, int line)
{
    const int rc = zmq_send (s, data, len, flags);
    if (rc != (int) len) {
        int e = errno;
        fprintf (stderr, "%s:%d: send of ", file, line);
        print_bytes_ (data, len);
        fprintf (stderr, " returned %d: %s\n", rc, zmq_strerror (e));
        exit (1);
    }
}

/*  Sends the string (without its NUL) as one frame. */
#define SEND_STR(s, str, flags)                                                \
    do {                                                                       \
        const char *str_ = (str);                                              \
        send_bytes_ ((s), str_, strlen (str_), (flags), __FILE__, __LINE__);   \
    } while (0)

/*  Sends the bytes of the string literal lit (it may hold NULs). */
#define SEND_BYTES(s, lit, flags)                                              \
    send_bytes_ ((s), (lit), sizeof (lit) - 1, (flags), __FILE__, __LINE__)

/*  Receives one frame into buf (NUL-terminated, cut to cap - 1 bytes);
    returns zmq_recv's result: the frame's full size, or -1. */
static inline int recv_buf (void *s, char *buf, size_t cap, int flags)
{
    const int rc = zmq_recv (s, buf, cap - 1, flags);
    if (rc >= 0)
        buf[(size_t) rc < cap - 1 ? (size_t) rc : cap - 1] = '\0';
    return rc;
}

/*  Receives one frame that must be exactly the len bytes of want; then,
    unless more is -1, ZMQ_RCVMORE must be more. */
static inline void recv_bytes_ (void *s, const void *want, size_t len,
                                int flags, int more, const char *file,
                                int line)
{
    char buf[256];
    const int rc = zmq_recv (s, buf, sizeof buf, flags);
    if (rc == -1) {
        int e = errno;
        fprintf (stderr, "%s:%d: recv (want ", file, line);
        print_bytes_ (want, len);
        fprintf (stderr, ") failed: %s\n", zmq_strerror (e));
        exit (1);
    }
    if (len > sizeof buf || (size_t) rc != len
        || memcmp (buf, want, len) != 0) {
        fprintf (stderr, "%s:%d: received %d bytes ", file, line, rc);
        print_bytes_ (buf, (size_t) rc < sizeof buf ? (size_t) rc : sizeof buf);
        fprintf (stderr, ", want %zu bytes ", len);
        print_bytes_ (want, len);
        fputc ('\n', stderr);
        exit (1);
    }
    if (more != -1 && get_int_ (s, ZMQ_RCVMORE, file, line) != more) {
        fprintf (stderr, "%s:%d: ZMQ_RCVMORE is not %d\n", file, line, more);
        exit (1);
    }
}

/*  Receives one frame and checks it is exactly the string want. */
#define RECV_STR(s, want, flags)                                               \
    do {                                                                       \
        const char *want_ = (want);                                            \
        recv_bytes_ ((s), want_, strlen (want_), (flags), -1, __FILE__,        \
                     __LINE__);                                                \
    } while (0)

/*  Receives one frame: exactly the bytes of the string literal lit. */
#define RECV_BYTES(s, lit)                                                     \
    recv_bytes_ ((s), (lit), sizeof (lit) - 1, 0, -1, __FILE__, __LINE__)

/*  The same, and ZMQ_RCVMORE must then be more (0 or 1). */
#define RECV_BYTES_MORE(s, lit, more)                                          \
    recv_bytes_ ((s), (lit), sizeof (lit) - 1, 0, (more), __FILE__, __LINE__)

/*  Nothing arrives on s within ms milliseconds (0: none is queued now). */
static inline void expect_nothing_ (void *s, int ms, const char *file,
                                    int line)
{
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    const int rc = check_rc_ (zmq_poll (&item, 1, ms), "zmq_poll", file, line);
    if (rc != 0) {
        fprintf (stderr, "%s:%d: a message arrived, expected none\n", file,
                 line);
        exit (1);
    }
}
#define EXPECT_NOTHING(s, ms) expect_nothing_ ((s), (ms), __FILE__, __LINE__)


/*  ---- Monitor events ---- */

/*  The next event of a monitor socket within `ms`: its id, and its value in
    *value (may be NULL); -1 when none came. */
static inline int monitor_event (void *mon, int *value, int ms)
{
    zmq_pollitem_t item = {mon, 0, ZMQ_POLLIN, 0};
    if (zmq_poll (&item, 1, ms) <= 0)
        return -1;
    unsigned char head[6];
    const int n = zmq_recv (mon, head, sizeof head, 0);
    if (n != 6)
        return -1;
    char addr[256];
    if (zmq_recv (mon, addr, sizeof addr, 0) < 0)
        return -1;
    uint16_t id;
    uint32_t v;
    memcpy (&id, head, 2);
    memcpy (&v, head + 2, 4);
    if (value)
        *value = (int) v;
    return id;
}

/*  Skips events until `want` comes (1, its value in *value) or none came
    for `ms` (0). */
static inline int await_event (void *mon, int want, int *value, int ms)
{
    for (;;) {
        int v = 0;
        const int ev = monitor_event (mon, &v, ms);
        if (ev < 0)
            return 0;
        if (ev == want) {
            if (value)
                *value = v;
            return 1;
        }
    }
}

/*  A PAIR socket receiving the events `events` of `s`, on `endpoint`. */
static inline void *monitor_socket_ (void *ctx, void *s, const char *endpoint,
                                     int events, const char *file, int line)
{
    check_rc_ (zmq_socket_monitor (s, endpoint, events), "zmq_socket_monitor",
               file, line);
    void *mon = check_ptr_ (zmq_socket (ctx, ZMQ_PAIR), "zmq_socket (PAIR)",
                            file, line);
    const int linger = 0;
    check_rc_ (zmq_setsockopt (mon, ZMQ_LINGER, &linger, sizeof linger),
               "zmq_setsockopt (ZMQ_LINGER)", file, line);
    check_rc_ (zmq_connect (mon, endpoint), "zmq_connect (monitor)", file,
               line);
    return mon;
}
#define MONITOR(ctx, s, endpoint, events)                                      \
    monitor_socket_ ((ctx), (s), (endpoint), (events), __FILE__, __LINE__)

/*  ---- A ZAP handler (RFC 27) on its own thread ----

    Bound at inproc://zeromq.zap.01 in `ctx`. It accepts PLAIN requests with
    `plain_user`/`plain_pass`, CURVE requests whose key (Z85) is `curve_key`
    (any key when NULL) and every NULL request; it answers `status` (default
    "200") to those and "400" to the rest. `reply_fault` spoils the reply:
    1 wrong version, 2 wrong request id, 3 invalid status code, 4 one part too
    many. It records what the last request said. */
typedef struct {
    void *ctx;
    const char *status;
    const char *plain_user;
    const char *plain_pass;
    const char *curve_key;
    const char *user_id;
    const unsigned char *metadata; /* the reply's metadata frame */
    size_t metadata_len;
    int reply_fault;
    /* filled by the handler */
    volatile int requests;
    char domain[64], address[64], routing_id[64], mechanism[16];
    void *socket_;
    void *thread_;
    volatile int stop_;
} zap_handler_t;

static inline int zap_recv_str_ (void *s, char *buf, size_t cap)
{
    const int n = zmq_recv (s, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[(size_t) n < cap - 1 ? (size_t) n : cap - 1] = 0;
    return n;
}

static inline void zap_send_ (void *s, const void *data, size_t len, int more)
{
    CHECK_RC (zmq_send (s, data, len, more ? ZMQ_SNDMORE : 0));
}

static inline void zap_handler_run_ (void *arg)
{
    zap_handler_t *h = (zap_handler_t *) arg;
    void *s = h->socket_;
    while (!h->stop_) {
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 20) <= 0)
            continue;
        char version[16], seq[16], domain[64], address[64], rid[64], mech[16];
        if (zap_recv_str_ (s, version, sizeof version) < 0)
            break;
        zap_recv_str_ (s, seq, sizeof seq);
        zap_recv_str_ (s, domain, sizeof domain);
        zap_recv_str_ (s, address, sizeof address);
        zap_recv_str_ (s, rid, sizeof rid);
        zap_recv_str_ (s, mech, sizeof mech);
        int ok = 0;
        if (strcmp (mech, "PLAIN") == 0) {
            char user[256], pass[256];
            zap_recv_str_ (s, user, sizeof user);
            zap_recv_str_ (s, pass, sizeof pass);
            ok = h->plain_user && strcmp (user, h->plain_user) == 0
                 && h->plain_pass && strcmp (pass, h->plain_pass) == 0;
        } else if (strcmp (mech, "CURVE") == 0) {
            unsigned char key[32];
            char text[41];
            CHECK_EQ (zmq_recv (s, key, sizeof key, 0), 32);
            CHECK (zmq_z85_encode (text, key, 32) != NULL);
            ok = h->curve_key == NULL || strcmp (text, h->curve_key) == 0;
        } else
            ok = strcmp (mech, "NULL") == 0;
        /* Any further credential frames are drained. */
        while (1) {
            int more = 0;
            size_t sz = sizeof more;
            zmq_getsockopt (s, ZMQ_RCVMORE, &more, &sz);
            if (!more)
                break;
            char junk[256];
            zmq_recv (s, junk, sizeof junk, 0);
        }
        strcpy (h->domain, domain);
        strcpy (h->address, address);
        strcpy (h->routing_id, rid);
        strcpy (h->mechanism, mech);
        /*  Counted before the reply goes: whatever it causes comes after. */
        h->requests++;
        const char *status = ok ? (h->status ? h->status : "200") : "400";
        if (h->reply_fault == 3)
            status = "2000";
        zap_send_ (s, h->reply_fault == 1 ? "2.0" : version,
                   h->reply_fault == 1 ? 3 : strlen (version), 1);
        zap_send_ (s, h->reply_fault == 2 ? "9" : seq, 1, 1);
        zap_send_ (s, status, strlen (status), 1);
        zap_send_ (s, ok ? "OK" : "denied", ok ? 2 : 6, 1);
        const char *uid = h->user_id ? h->user_id : "";
        zap_send_ (s, uid, strlen (uid), 1);
        if (h->reply_fault == 4)
            zap_send_ (s, "", 0, 1);
        zap_send_ (s, h->metadata, h->metadata_len, 0);
    }
}

/*  Binds the handler and starts its thread. */
static inline void zap_handler_start (zap_handler_t *h)
{
    h->socket_ = check_ptr_ (zmq_socket (h->ctx, ZMQ_REP), "zmq_socket (REP)",
                             __FILE__, __LINE__);
    const int linger = 0;
    CHECK_RC (zmq_setsockopt (h->socket_, ZMQ_LINGER, &linger, sizeof linger));
    CHECK_RC (zmq_bind (h->socket_, "inproc://zeromq.zap.01"));
    h->stop_ = 0;
    h->thread_ = zmq_threadstart (zap_handler_run_, h);
}

/*  Stops the thread and closes the handler's socket. */
static inline void zap_handler_stop (zap_handler_t *h)
{
    h->stop_ = 1;
    zmq_threadclose (h->thread_);
    /*  Unbound first: libzmq forgets a closed socket's inproc names late. */
    CHECK_RC (zmq_unbind (h->socket_, "inproc://zeromq.zap.01"));
    CHECK_RC (zmq_close (h->socket_));
}

/*  127.0.0.1:port (0: any port) as a socket address. */
static inline struct sockaddr_in loopback_addr (int port)
{
    struct sockaddr_in sa;
    memset (&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    sa.sin_port = htons ((uint16_t) port);
    return sa;
}

/*  A socket of `type` (SOCK_STREAM, SOCK_DGRAM) bound to a free port of
    127.0.0.1; the port goes to *port. */
static inline int loopback_socket (int type, int *port)
{
    const int fd = socket (AF_INET, type, 0);
    CHECK (fd >= 0);
    struct sockaddr_in sa = loopback_addr (0);
    CHECK (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    socklen_t len = sizeof sa;
    CHECK (getsockname (fd, (struct sockaddr *) &sa, &len) == 0);
    *port = ntohs (sa.sin_port);
    return fd;
}

/*  A tcp port on 127.0.0.1 that refuses connections: bound, not listening,
    held until the returned descriptor is closed. (The port of a ZMQ listener
    just closed would not do: libzmq closes its listeners asynchronously, so a
    connect may still reach it.) */
static inline int refused_port (int *port)
{
    return loopback_socket (SOCK_STREAM, port);
}

/*  A plain tcp listener on 127.0.0.1 with the given backlog; its port goes
    to *port. */
static inline int loopback_listener (int backlog, int *port)
{
    const int fd = loopback_socket (SOCK_STREAM, port);
    CHECK (listen (fd, backlog) == 0);
    return fd;
}

/*  A listener whose accept queue is full, so it drops further SYNs and
    connects to it stay in progress: `n` non-blocking connects (their fds go to
    fill[]) take its one place. Returns the listening fd; its endpoint goes to
    ep. */
static inline int full_backlog (char *ep, size_t cap, int *fill, int n)
{
    int port;
    const int lfd = loopback_listener (0, &port);
    struct sockaddr_in sa = loopback_addr (port);
    for (int i = 0; i < n; i++) {
        fill[i] = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        CHECK (fill[i] >= 0);
        connect (fill[i], (struct sockaddr *) &sa, sizeof sa);
    }
    msleep (100);
    snprintf (ep, cap, "tcp://127.0.0.1:%d", port);
    return lfd;
}

/*  A free tcp port on 127.0.0.1 (free when this returns). */
static inline int free_port (void)
{
    int port;
    close (refused_port (&port));
    return port;
}

#endif
