/*  A peer that goes away while the library writes to it costs that connection
    only. SIGPIPE keeps its default disposition (which kills the process) and is
    unblocked in the test's threads; raw peers complete the ZMTP handshake and
    then close at once or in the middle of a stream (with a FIN, or a reset),
    over tcp and ipc, while the library writes from its I/O thread (PUSH sending
    a lot) and from the application thread (REP replies). Afterwards a
    well-behaved peer must still be served by the same socket. */
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>

/*  Connects a plain socket to a tcp://127.0.0.1:port or ipc://path endpoint. */
static int raw_connect (const char *ep)
{
    int fd;
    if (strncmp (ep, "tcp://", 6) == 0) {
        const char *colon = strrchr (ep, ':');
        CHECK (colon != NULL);
        struct sockaddr_in sa;
        memset (&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons ((uint16_t) atoi (colon + 1));
        sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        fd = socket (AF_INET, SOCK_STREAM, 0);
        CHECK (fd >= 0);
        CHECK (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    } else {
        CHECK (strncmp (ep, "ipc://", 6) == 0);
        struct sockaddr_un sa;
        memset (&sa, 0, sizeof sa);
        sa.sun_family = AF_UNIX;
        CHECK (strlen (ep + 6) < sizeof sa.sun_path);
        strcpy (sa.sun_path, ep + 6);
        fd = socket (AF_UNIX, SOCK_STREAM, 0);
        CHECK (fd >= 0);
        CHECK (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0);
    }
    return fd;
}

/*  The test's own writes must not raise SIGPIPE either. */
static void raw_send (int fd, const void *data, size_t len)
{
    const char *p = (const char *) data;
    while (len > 0) {
        const ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        CHECK (n > 0);
        p += n;
        len -= (size_t) n;
    }
}

/*  Reads exactly len bytes (2 s at most); 0 when the library closed first. */
static int raw_recv (int fd, void *buf, size_t len)
{
    char *p = (char *) buf;
    const long long deadline = now_ms () + 2000;
    while (len > 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        const long long left = deadline - now_ms ();
        CHECK (left > 0);
        if (poll (&pfd, 1, (int) left) <= 0)
            continue;
        const ssize_t n = recv (fd, p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 0;
        p += n;
        len -= (size_t) n;
    }
    return 1;
}

/*  Closes with a FIN, or with a reset (SO_LINGER 0). */
static void raw_close (int fd, int reset)
{
    if (reset) {
        struct linger l = {1, 0};
        CHECK (setsockopt (fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0);
    }
    CHECK (close (fd) == 0);
}

/*  A ZMTP 3.1 NULL greeting, then READY with the given socket type; then
    the library's greeting and READY are read, so the handshake is complete
    on both sides. 0 when the library closed instead. */
static int raw_handshake (int fd, const char *socket_type)
{
    unsigned char g[64];
    memset (g, 0, sizeof g);
    g[0] = 0xff;
    g[8] = 1;
    g[9] = 0x7f;
    g[10] = 3;
    g[11] = 1;
    memcpy (g + 12, "NULL", 4);
    raw_send (fd, g, sizeof g);

    unsigned char ready[64];
    const size_t tlen = strlen (socket_type);
    size_t n = 0;
    ready[n++] = 0x04;
    ready[n++] = (unsigned char) (1 + 5 + 1 + 11 + 4 + tlen);
    ready[n++] = 5;
    memcpy (ready + n, "READY", 5);
    n += 5;
    ready[n++] = 11;
    memcpy (ready + n, "Socket-Type", 11);
    n += 11;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = 0;
    ready[n++] = (unsigned char) tlen;
    memcpy (ready + n, socket_type, tlen);
    n += tlen;
    raw_send (fd, ready, n);

    unsigned char in[300];
    if (!raw_recv (fd, in, 64))
        return 0;
    CHECK (in[0] == 0xff && in[9] == 0x7f && in[10] == 3);
    /*  The library's READY: a short command (0x04, size) or a long one. */
    if (!raw_recv (fd, in, 2))
        return 0;
    CHECK (in[0] == 0x04);
    return raw_recv (fd, in + 2, in[1]);
}

static void ignore_peer_output (int fd, size_t max)
{
    char buf[65536];
    size_t got = 0;
    while (got < max) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll (&pfd, 1, 200) <= 0)
            return;
        const ssize_t n = recv (fd, buf, sizeof buf, 0);
        if (n <= 0)
            return;
        got += (size_t) n;
    }
}

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/* ------------------------------------------------ I/O thread writes (PUSH) */

struct raw_peers
{
    const char *ep;
    int rounds;
    size_t read_before_close; /* bytes of the stream read before closing */
    volatile int done;
};

static void *raw_pull_peers (void *arg)
{
    struct raw_peers *r = (struct raw_peers *) arg;
    for (int i = 0; i < r->rounds; i++) {
        const int fd = raw_connect (r->ep);
        if (raw_handshake (fd, "PULL"))
            ignore_peer_output (fd, r->read_before_close);
        /*  Unread data makes even a plain close a reset on tcp. */
        raw_close (fd, i % 2);
    }
    r->done = 1;
    return NULL;
}

/*  Messages keep going to a PUSH socket while raw PULL peers come, take
    some of the stream and vanish; then a real PULL must get messages. */
static void push_to_vanishing_peers (void *ctx, const char *bind_ep,
                                     size_t read_before_close)
{
    fprintf (stderr, "-- PUSH on %s, raw peers read %zu bytes\n", bind_ep,
             read_before_close);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push, ZMQ_LINGER, 0);
    SET_INT (push, ZMQ_SNDHWM, 100);
    CHECK_RC (zmq_bind (push, bind_ep));
    char ep[256];
    last_endpoint (push, ep, sizeof ep);

    struct raw_peers r = {ep, 20, read_before_close, 0};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, raw_pull_peers, &r) == 0);
    static char big[32768];
    memset (big, 'x', sizeof big);
    while (!r.done) {
        if (zmq_send (push, big, sizeof big, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            msleep (1);
        }
    }
    CHECK (pthread_join (t, NULL) == 0);
    /*  More writes towards connections that are gone. */
    for (int i = 0; i < 200; i++)
        if (zmq_send (push, big, sizeof big, ZMQ_DONTWAIT) == -1)
            msleep (1);

    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (pull, ep));
    int got = 0;
    const long long deadline = now_ms () + 10000;
    while (got < 10) {
        if (now_ms () > deadline)
            TEST_FAIL_ ("the new PULL got %d of 10 messages", got);
        zmq_send (push, "tail", 4, ZMQ_DONTWAIT);
        char buf[64];
        const int n = zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n == 4 && memcmp (buf, "tail", 4) == 0)
            got++;
        else if (n == -1)
            msleep (2);
    }
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push));
}

/* ---------------------------------------- application thread writes (REP) */

/*  A raw REQ peer sends several requests at once and closes: the REP's
    replies meet a closed connection. */
static void rep_to_vanishing_requester (void *ctx, const char *bind_ep,
                                        int reset)
{
    fprintf (stderr, "-- REP on %s, requester %s\n", bind_ep,
             reset ? "resets" : "closes");
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    SET_INT (rep, ZMQ_RCVTIMEO, 500);
    CHECK_RC (zmq_bind (rep, bind_ep));
    char ep[256];
    last_endpoint (rep, ep, sizeof ep);

    for (int round = 0; round < 10; round++) {
        const int fd = raw_connect (ep);
        if (!raw_handshake (fd, "REQ")) {
            raw_close (fd, 0);
            continue;
        }
        /*  Eight requests: empty delimiter, then the body. */
        for (int i = 0; i < 8; i++) {
            unsigned char req[] = {0x01, 0x00, 0x00, 0x03, 'r', 'e', 'q'};
            raw_send (fd, req, sizeof req);
        }
        /*  Wait for the first to be there, then vanish. */
        char buf[64];
        const int n = zmq_recv (rep, buf, sizeof buf, 0);
        raw_close (fd, reset);
        if (n == -1)
            continue;
        for (int i = 0; i < 8; i++) {
            static char reply[4096];
            memset (reply, 'r', sizeof reply);
            msleep (1);
            if (zmq_send (rep, reply, sizeof reply, 0) == -1)
                break;
            if (zmq_recv (rep, buf, sizeof buf, 0) == -1)
                break;
        }
    }

    /*  A REP whose last request went unanswered (the connection died) may
        not be able to send: a fresh requester must be served anyway. */
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "hello", 0);
    SET_INT (rep, ZMQ_RCVTIMEO, 5000);
    RECV_STR (rep, "hello", 0);
    SEND_STR (rep, "world", 0);
    RECV_STR (req, "world", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

typedef void (*scenario_fn) (void *ctx, const char *ep, int arg);

struct scenario
{
    scenario_fn fn;
    const char *ep;
    int arg;
};

static void push_scenario (void *ctx, const char *ep, int arg)
{
    push_to_vanishing_peers (ctx, ep, (size_t) arg);
}

static void run_in_child (void *arg)
{
    const struct scenario *sc = (const struct scenario *) arg;
    /*  The disposition a program gets by default: SIGPIPE ends it. */
    signal (SIGPIPE, SIG_DFL);
    sigset_t set;
    sigemptyset (&set);
    sigaddset (&set, SIGPIPE);
    CHECK (pthread_sigmask (SIG_UNBLOCK, &set, NULL) == 0);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    sc->fn (ctx, sc->ep, sc->arg);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Each scenario runs in a child process of its own, so that one that
    kills the process does not hide the others. */
static int run_scenario (const char *name, scenario_fn fn, const char *ep,
                         int arg)
{
    char label[300];
    snprintf (label, sizeof label, "%s on %s", name, ep);
    struct scenario sc = {fn, ep, arg};
    return run_isolated (label, run_in_child, &sc, 25);
}

int main (void)
{
    TEST_TIMEOUT (55);
    /*  ipc paths of this process only (both libraries may run at once). */
    char ipc[4][64];
    for (int i = 0; i < 4; i++)
        snprintf (ipc[i], sizeof ipc[i], "ipc://sigpipe-%d-%d.ipc",
                  (int) getpid (), i);

    int failed = 0;
    /*  Handshake, then close at once. */
    failed += run_scenario ("PUSH, peers close after the handshake",
                            push_scenario, "tcp://127.0.0.1:*", 0);
    failed += run_scenario ("PUSH, peers close after the handshake",
                            push_scenario, ipc[0], 0);
    /*  Handshake, part of a large stream, then close. */
    failed += run_scenario ("PUSH, peers close mid-stream", push_scenario,
                            "tcp://127.0.0.1:*", 300000);
    failed += run_scenario ("PUSH, peers close mid-stream", push_scenario,
                            ipc[1], 300000);
    /*  Replies from the application thread to peers that are gone. */
    failed += run_scenario ("REP replies, requester closes",
                            rep_to_vanishing_requester, "tcp://127.0.0.1:*",
                            0);
    failed += run_scenario ("REP replies, requester resets",
                            rep_to_vanishing_requester, "tcp://127.0.0.1:*",
                            1);
    failed += run_scenario ("REP replies, requester closes",
                            rep_to_vanishing_requester, ipc[2], 0);
    failed += run_scenario ("REP replies, requester resets",
                            rep_to_vanishing_requester, ipc[3], 1);
    return failed ? 1 : 0;
}
