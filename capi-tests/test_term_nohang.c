/*  zmq_ctx_term returns when nothing is left to deliver, however the sockets
    were left: connected and closed at once (default LINGER and LINGER 0, tcp
    and ipc, 1 to 1,000 sockets, to a listener or to nobody), ZMQ_IMMEDIATE
    towards a refused port, tcp://[::1] without ZMQ_IPV6, two connects from
    one source address, a DEALER talking to a STREAM socket, sockets closed
    while their connect is still in progress. No connection outlives its
    socket (the process's sockets in /proc/self/fd return to what they were),
    and a signal interrupts zmq_ctx_term with EINTR, as in libzmq.

    Every case terminates its own context in a helper thread and waits a
    bounded time for it, so one hang is reported by name and the other cases
    still run; groups of cases run in child processes of their own, so what
    a hung termination leaves behind cannot disturb the next group. */
#include "testutil.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>

static int failures;

#define SOFT_FAIL(...)                                                         \
    do {                                                                       \
        fprintf (stderr, "%s:%d: FAILED: ", __FILE__, __LINE__);               \
        fprintf (stderr, __VA_ARGS__);                                         \
        fputc ('\n', stderr);                                                  \
        failures++;                                                            \
    } while (0)

/* ------------------------------------------------------- bounded term */

struct term_job
{
    void *ctx;
    char what[300];
    volatile int done;
    int rc, err;
    pthread_t thread;
};

static struct term_job jobs[64];
static int njobs;

static void *term_thread (void *arg)
{
    struct term_job *j = (struct term_job *) arg;
    j->rc = zmq_ctx_term (j->ctx);
    j->err = errno;
    __atomic_store_n (&j->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/*  Starts terminating ctx in a helper thread. */
static void term_async (void *ctx, const char *what)
{
    CHECK (njobs < 64);
    struct term_job *j = &jobs[njobs++];
    j->ctx = ctx;
    snprintf (j->what, sizeof j->what, "%s", what);
    CHECK (pthread_create (&j->thread, NULL, term_thread, j) == 0);
}

/*  Waits up to 10 s for every termination started; each that has not
    returned 0 by then is a failure (hung ones are left behind). */
static void term_collect (void)
{
    const long long deadline = now_ms () + 10000;
    for (int i = 0; i < njobs; i++) {
        struct term_job *j = &jobs[i];
        while (!__atomic_load_n (&j->done, __ATOMIC_ACQUIRE)
               && now_ms () < deadline)
            msleep (10);
        if (!__atomic_load_n (&j->done, __ATOMIC_ACQUIRE))
            SOFT_FAIL ("zmq_ctx_term hangs: %s", j->what);
        else if (j->rc != 0)
            SOFT_FAIL ("zmq_ctx_term failed (%s): %s", zmq_strerror (j->err),
                       j->what);
    }
    njobs = 0;
}

/*  Terminates ctx within 10 s, or fails. */
static void term_within (void *ctx, const char *what)
{
    term_async (ctx, what);
    term_collect ();
}

/* ------------------------------------------------------------ helpers */

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/*  The process's open sockets (tcp, ipc, ...), from /proc/self/fd. */
static int open_sockets (void)
{
    DIR *d = opendir ("/proc/self/fd");
    CHECK (d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir (d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], target[300];
        snprintf (path, sizeof path, "/proc/self/fd/%s", e->d_name);
        const ssize_t len = readlink (path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strncmp (target, "socket:", 7) == 0)
            n++;
    }
    closedir (d);
    return n;
}

static void *new_ctx (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 4096));
    return ctx;
}

/* ------------------------------------------------ connect, then close */

/*  n sockets connect to ep and are closed at once; then their context
    terminates. */
static void connect_close (const char *ep, int n, int linger0,
                           const char *target)
{
    char what[300];
    snprintf (what, sizeof what, "%d DEALER%s connected to %s (%s), %s", n,
              n == 1 ? "" : "s", ep, target,
              linger0 ? "LINGER 0" : "default LINGER");
    void *ctx = new_ctx ();
    void **s = (void **) calloc ((size_t) n, sizeof *s);
    CHECK (s != NULL);
    for (int i = 0; i < n; i++) {
        s[i] = PLAIN_SOCKET (ctx, ZMQ_DEALER);
        if (linger0)
            SET_INT (s[i], ZMQ_LINGER, 0);
        CHECK_RC (zmq_connect (s[i], ep));
    }
    for (int i = 0; i < n; i++)
        CHECK_RC (zmq_close (s[i]));
    free (s);
    term_async (ctx, what);
}

static void test_connect_close (int max_n)
{
    void *peer_ctx = new_ctx ();
    int refused_fd, port;
    refused_fd = refused_port (&port);
    char refused[64];
    snprintf (refused, sizeof refused, "tcp://127.0.0.1:%d", port);
    char nobody_ipc[64];
    snprintf (nobody_ipc, sizeof nobody_ipc, "ipc://term-nobody-%d.ipc",
              (int) getpid ());

    void *tcp_peer = PLAIN_SOCKET (peer_ctx, ZMQ_ROUTER);
    SET_INT (tcp_peer, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (tcp_peer, "tcp://127.0.0.1:*"));
    char tcp_ep[256];
    last_endpoint (tcp_peer, tcp_ep, sizeof tcp_ep);
    void *ipc_peer = PLAIN_SOCKET (peer_ctx, ZMQ_ROUTER);
    SET_INT (ipc_peer, ZMQ_LINGER, 0);
    char ipc_ep[64];
    snprintf (ipc_ep, sizeof ipc_ep, "ipc://term-peer-%d.ipc",
              (int) getpid ());
    CHECK_RC (zmq_bind (ipc_peer, ipc_ep));

    const int counts[] = {1, 100, 1000};
    for (int c = 0; c < 3; c++) {
        const int n = counts[c] < max_n ? counts[c] : max_n;
        for (int linger0 = 0; linger0 < 2; linger0++) {
            connect_close (tcp_ep, n, linger0, "a listener");
            connect_close (ipc_ep, n, linger0, "a listener");
            connect_close (refused, n, linger0, "a refused port");
            connect_close (nobody_ipc, n, linger0, "no ipc listener");
        }
    }
    term_collect ();
    CHECK_RC (zmq_close (tcp_peer));
    CHECK_RC (zmq_close (ipc_peer));
    term_within (peer_ctx, "the listeners' context");
    close (refused_fd);
}

/* ---------------------------------------------------- special connects */

static void test_immediate_refused (void)
{
    int port;
    const int fd = refused_port (&port);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    void *ctx = new_ctx ();
    void *s = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    SET_INT (s, ZMQ_IMMEDIATE, 1);
    CHECK_RC (zmq_connect (s, ep));
    msleep (300); /* a few refused attempts */
    CHECK_RC (zmq_close (s));
    term_async (ctx, "ZMQ_IMMEDIATE connect to a refused port");
    close (fd);
}

static void test_ipv6_without_option (void)
{
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://[::1]:%d", free_port ());
    void *ctx = new_ctx ();
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (s, ep));
    msleep (300);
    CHECK_RC (zmq_close (s));
    term_async (ctx, "connect to tcp://[::1]:port without ZMQ_IPV6");
}

static void test_same_source_address (void)
{
    void *peer_ctx = new_ctx ();
    void *peer = PLAIN_SOCKET (peer_ctx, ZMQ_ROUTER);
    SET_INT (peer, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (peer, "tcp://127.0.0.1:*"));
    char bound[256];
    last_endpoint (peer, bound, sizeof bound);

    /*  One socket connecting twice, or two sockets; closed at once or after
        a few attempts. The second connection cannot bind the same source
        address: it keeps retrying. */
    for (int two = 0; two < 2; two++)
        for (int wait = 0; wait < 2; wait++) {
            char ep[300];
            snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d;%s", free_port (),
                      bound + 6);
            void *ctx = new_ctx ();
            void *a = PLAIN_SOCKET (ctx, ZMQ_DEALER);
            void *b = two ? PLAIN_SOCKET (ctx, ZMQ_DEALER) : a;
            CHECK_RC (zmq_connect (a, ep));
            zmq_connect (b, ep);
            if (wait)
                msleep (300);
            CHECK_RC (zmq_close (a));
            if (two)
                CHECK_RC (zmq_close (b));
            char what[200];
            snprintf (what, sizeof what,
                      "two connects from the same source address (src;dst), "
                      "%s, closed %s",
                      two ? "two sockets" : "one socket",
                      wait ? "after 300 ms" : "at once");
            term_async (ctx, what);
        }
    term_collect ();
    CHECK_RC (zmq_close (peer));
    term_async (peer_ctx, "the listener of the src;dst case");
}

static void test_dealer_to_stream (void)
{
    /*  Closed at once, before or while the connection is made (a few
        times: the moment varies). */
    for (int i = 0; i < 5; i++) {
        void *ctx = new_ctx ();
        void *stream = PLAIN_SOCKET (ctx, ZMQ_STREAM);
        CHECK_RC (zmq_bind (stream, "tcp://127.0.0.1:*"));
        char ep[256];
        last_endpoint (stream, ep, sizeof ep);
        void *dealer = PLAIN_SOCKET (ctx, ZMQ_DEALER);
        CHECK_RC (zmq_connect (dealer, ep));
        CHECK_RC (zmq_close (dealer));
        CHECK_RC (zmq_close (stream));
        term_async (ctx, "a DEALER connected to a STREAM socket, both closed "
                         "at once");
    }

    /*  The STREAM socket sees the DEALER's greeting as data and never
        answers it: the DEALER's handshake stays unfinished. */
    void *ctx = new_ctx ();
    void *stream = PLAIN_SOCKET (ctx, ZMQ_STREAM);
    CHECK_RC (zmq_bind (stream, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (stream, ep, sizeof ep);
    void *dealer = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (dealer, ep));
    /*  The STREAM gets the connection (an empty frame after the id). */
    SET_INT (stream, ZMQ_RCVTIMEO, 5000);
    char id[256], buf[256];
    CHECK (zmq_recv (stream, id, sizeof id, 0) > 0);
    CHECK (zmq_recv (stream, buf, sizeof buf, 0) >= 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (stream));
    term_async (ctx, "a DEALER connected to a STREAM socket");

    /*  The same, with the STREAM in another context that outlives it. */
    void *peer_ctx = new_ctx ();
    stream = PLAIN_SOCKET (peer_ctx, ZMQ_STREAM);
    SET_INT (stream, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (stream, "tcp://127.0.0.1:*"));
    last_endpoint (stream, ep, sizeof ep);
    ctx = new_ctx ();
    dealer = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (dealer, ep));
    SET_INT (stream, ZMQ_RCVTIMEO, 5000);
    CHECK (zmq_recv (stream, id, sizeof id, 0) > 0);
    CHECK (zmq_recv (stream, buf, sizeof buf, 0) >= 0);
    CHECK_RC (zmq_close (dealer));
    term_async (ctx, "a DEALER connected to a STREAM socket of another "
                      "context");
    CHECK_RC (zmq_close (stream));
    term_async (peer_ctx, "the STREAM socket's context");
}

static void test_closed_while_connecting (void)
{
    /*  A listener whose accept queue is full drops further SYNs, so the
        connects below stay in progress. */
    int fill[4];
    char ep[64];
    const int lfd = full_backlog (ep, sizeof ep, fill, 4);
    for (int linger0 = 0; linger0 < 2; linger0++) {
        void *ctx = new_ctx ();
        void *s[10];
        for (int i = 0; i < 10; i++) {
            s[i] = PLAIN_SOCKET (ctx, ZMQ_DEALER);
            if (linger0)
                SET_INT (s[i], ZMQ_LINGER, 0);
            CHECK_RC (zmq_connect (s[i], ep));
        }
        msleep (300);
        for (int i = 0; i < 10; i++)
            CHECK_RC (zmq_close (s[i]));
        term_async (ctx, linger0 ? "sockets closed while connecting to a "
                                    "full backlog, LINGER 0"
                                  : "sockets closed while connecting to a "
                                    "full backlog, default LINGER");
    }
    for (int i = 0; i < 4; i++)
        close (fill[i]);
    close (lfd);
}

/* ------------------------------------------- no connection outlives it */

/*  Waits (5 s at most) for the process's sockets to drop to want. */
static int settle_to (int want)
{
    int n = open_sockets ();
    const long long deadline = now_ms () + 5000;
    while (n > want && now_ms () < deadline) {
        msleep (20);
        n = open_sockets ();
    }
    return n;
}

static void leftover_connections (const char *transport, int at_once)
{
    void *peer_ctx = new_ctx ();
    void *peer = PLAIN_SOCKET (peer_ctx, ZMQ_ROUTER);
    SET_INT (peer, ZMQ_LINGER, 0);
    char ep[256];
    if (strcmp (transport, "tcp") == 0) {
        CHECK_RC (zmq_bind (peer, "tcp://127.0.0.1:*"));
        last_endpoint (peer, ep, sizeof ep);
    } else {
        snprintf (ep, sizeof ep, "ipc://term-left-%d.ipc", (int) getpid ());
        CHECK_RC (zmq_bind (peer, ep));
    }
    void *ctx = new_ctx ();
    /*  A socket of the context that stays open: the context lives on. */
    void *keep = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    msleep (50);
    const int before = open_sockets ();

    void *s[500];
    for (int i = 0; i < 500; i++) {
        s[i] = PLAIN_SOCKET (ctx, ZMQ_DEALER);
        CHECK_RC (zmq_connect (s[i], ep));
    }
    if (!at_once)
        msleep (200);
    const int during = open_sockets ();
    for (int i = 0; i < 500; i++)
        CHECK_RC (zmq_close (s[i]));
    const int after = settle_to (before);
    if (after > before)
        SOFT_FAIL ("%s: %d sockets open before 500 connect-then-close "
                   "sockets (closed %s), %d while they were open, still %d "
                   "after they closed",
                   transport, before, at_once ? "at once" : "after 200 ms",
                   during, after);
    /*  Nothing comes back later either (a connecter that outlived its
        socket would reconnect). */
    msleep (300);
    const int later = open_sockets ();
    if (later > before)
        SOFT_FAIL ("%s: %d sockets open 300 ms after settling to %d (%d "
                   "before)",
                   transport, later, after, before);
    CHECK_RC (zmq_close (keep));
    term_within (ctx, "500 connect-then-close sockets");
    CHECK_RC (zmq_close (peer));
    term_within (peer_ctx, "the listener of the 500 sockets");
}

/*  The same towards a refused port: the connecters must stop. */
static void leftover_connecters (void)
{
    int port;
    const int fd = refused_port (&port);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    void *ctx = new_ctx ();
    void *keep = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    msleep (50);
    const int before = open_sockets ();
    void *s[100];
    for (int i = 0; i < 100; i++) {
        s[i] = PLAIN_SOCKET (ctx, ZMQ_DEALER);
        SET_INT (s[i], ZMQ_RECONNECT_IVL, 10);
        CHECK_RC (zmq_connect (s[i], ep));
    }
    msleep (200);
    for (int i = 0; i < 100; i++)
        CHECK_RC (zmq_close (s[i]));
    const int after = settle_to (before);
    /*  Sampled for a while: a live connecter opens a socket every 10 ms. */
    int most = after;
    for (int i = 0; i < 30; i++) {
        msleep (10);
        const int n = open_sockets ();
        if (n > most)
            most = n;
    }
    if (most > before)
        SOFT_FAIL ("refused port: %d sockets open before 100 reconnecting "
                   "sockets, up to %d after they closed",
                   before, most);
    CHECK_RC (zmq_close (keep));
    term_within (ctx, "100 sockets reconnecting to a refused port");
    close (fd);
}

/* ------------------------------------------------------------- EINTR */

static volatile sig_atomic_t signals_seen;
static void on_usr1 (int sig)
{
    (void) sig;
    signals_seen++;
}

struct interrupter
{
    pthread_t target;
    void *socket;
    volatile int stop;
    int gave_up;
};

static void *interrupt_term (void *arg)
{
    struct interrupter *it = (struct interrupter *) arg;
    /*  Signals until zmq_ctx_term has returned; after 3 s without that, the
        socket is closed so that the test goes on (and fails). */
    for (int i = 0; i < 60 && !it->stop; i++) {
        msleep (50);
        pthread_kill (it->target, SIGUSR1);
    }
    if (!it->stop) {
        it->gave_up = 1;
        zmq_close (it->socket);
    }
    return NULL;
}

static void test_term_eintr (void)
{
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = 0; /* no SA_RESTART */
    sigemptyset (&sa.sa_mask);
    CHECK (sigaction (SIGUSR1, &sa, NULL) == 0);

    void *ctx = new_ctx ();
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (s, "tcp://127.0.0.1:*"));
    struct interrupter it = {pthread_self (), s, 0, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, interrupt_term, &it) == 0);
    /*  The socket is open: termination waits until a signal comes. */
    const int rc = zmq_ctx_term (ctx);
    const int err = errno;
    it.stop = 1;
    CHECK (pthread_join (t, NULL) == 0);
    if (it.gave_up) {
        SOFT_FAIL ("zmq_ctx_term was not interrupted by %d signals "
                   "(returned %d once the socket was closed)",
                   (int) signals_seen, rc);
        return;
    }
    if (rc != -1 || err != EINTR) {
        SOFT_FAIL ("zmq_ctx_term returned %d (%s) on a signal instead of -1 "
                   "with EINTR",
                   rc, zmq_strerror (err));
        return;
    }
    /*  Terminating goes on once the socket is closed. */
    CHECK_RC (zmq_close (s));
    term_within (ctx, "zmq_ctx_term again after EINTR");
    signal (SIGUSR1, SIG_IGN);
}

typedef void (*group_fn) (int max_n);

struct group
{
    const char *name;
    group_fn fn;
    int max_n;
};

static void connect_group (int max_n)
{
    test_connect_close (max_n);
}

static void special_group (int max_n)
{
    (void) max_n;
    test_immediate_refused ();
    test_ipv6_without_option ();
    test_same_source_address ();
    test_dealer_to_stream ();
    test_closed_while_connecting ();
    term_collect ();
}

static void leftover_tcp (int max_n)
{
    (void) max_n;
    leftover_connections ("tcp", 0);
    leftover_connections ("tcp", 1);
}

static void leftover_ipc (int max_n)
{
    (void) max_n;
    leftover_connections ("ipc", 0);
    leftover_connections ("ipc", 1);
}

static void leftover_refused (int max_n)
{
    (void) max_n;
    leftover_connecters ();
}

static void eintr_group (int max_n)
{
    (void) max_n;
    test_term_eintr ();
}

/*  Each group runs in a child process: what a hung termination leaves
    behind (threads, connecters) cannot disturb the next group. */
static void group_in_child (void *arg)
{
    const struct group *g = (const struct group *) arg;
    g->fn (g->max_n);
    if (failures)
        fprintf (stderr, "%s: %d case%s failed\n", g->name, failures,
                 failures == 1 ? "" : "s");
    _exit (failures ? 1 : 0);
}

static int run_group (const char *name, group_fn fn, int max_n)
{
    struct group g = {name, fn, max_n};
    return run_isolated (name, group_in_child, &g, 40);
}

int main (void)
{
    TEST_TIMEOUT (58);
    /*  SIGPIPE is test_sigpipe's subject: here it would hide the cases. */
    signal (SIGPIPE, SIG_IGN);
    /*  1,000 sockets and their connections need a few thousand fds. */
    struct rlimit rl;
    CHECK (getrlimit (RLIMIT_NOFILE, &rl) == 0);
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        CHECK (setrlimit (RLIMIT_NOFILE, &rl) == 0);
    }
    /*  Each connected socket may cost up to 4 fds on both sides. */
    int max_n = 1000;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 4200) {
        max_n = (int) (rl.rlim_cur - 200) / 4;
        fprintf (stderr, "note: RLIMIT_NOFILE %llu, cases use %d sockets\n",
                 (unsigned long long) rl.rlim_cur, max_n);
    }

    int failed = 0;
    failed += run_group ("500 connect-then-close sockets (tcp)", leftover_tcp,
                         max_n);
    failed += run_group ("500 connect-then-close sockets (ipc)", leftover_ipc,
                         max_n);
    failed += run_group ("100 sockets closed while reconnecting",
                         leftover_refused, max_n);
    failed += run_group ("EINTR", eintr_group, max_n);
    failed += run_group ("connect then close", connect_group, max_n);
    failed += run_group ("special connects", special_group, max_n);
    return failed ? 1 : 0;
}
