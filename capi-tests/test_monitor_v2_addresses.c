// libzmq: skip draft API absent from Debian's libzmq build (zmq_socket_monitor_versioned)
/*  The v2 monitor's local and remote addresses, as libzmq 4.3.5 fills them:
    on the connecting side CONNECT_DELAYED and CONNECT_RETRIED carry no local
    address and the endpoint as remote, while CONNECTED, HANDSHAKE_SUCCEEDED
    and DISCONNECTED carry the connection's real local address and the
    endpoint; on the binding side LISTENING and CLOSED carry the endpoint as
    local address and no remote, while ACCEPTED, HANDSHAKE_SUCCEEDED and
    DISCONNECTED carry both ends of the connection. PIPES_STATS carries
    both ends on the binding side, and on the connecting side what libzmq
    named the pipe with at connect time: no local address, the endpoint. The
    connecting side's local address is the accepting side's remote one.
    Checked against libzmq 4.3.4 built with its draft API. */
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"
#include <inttypes.h>

static void *ctx;

struct event
{
    uint64_t id;
    uint64_t n;
    uint64_t values[4];
    char local[256];
    char remote[256];
};

static void *monitor (void *s, const char *ep)
{
    CHECK_RC (zmq_socket_monitor_versioned (s, ep, ZMQ_EVENT_ALL_V2, 2,
                                            ZMQ_PAIR));
    void *m = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (m, ep));
    return m;
}

/*  The next v2 event within ms; 0 when none came. */
static int next_event (void *mon, int ms, struct event *e)
{
    SET_INT (mon, ZMQ_RCVTIMEO, ms);
    const int rc = zmq_recv (mon, &e->id, sizeof e->id, 0);
    if (rc == -1) {
        CHECK (errno == EAGAIN);
        return 0;
    }
    CHECK_EQ (rc, sizeof e->id);
    SET_INT (mon, ZMQ_RCVTIMEO, 5000);
    CHECK (RCVMORE (mon));
    CHECK_EQ (zmq_recv (mon, &e->n, sizeof e->n, 0), sizeof e->n);
    CHECK (e->n >= 1 && e->n <= 4);
    for (uint64_t i = 0; i < e->n; i++)
        CHECK_EQ (zmq_recv (mon, &e->values[i], sizeof e->values[i], 0),
                  sizeof e->values[i]);
    CHECK (recv_buf (mon, e->local, sizeof e->local, 0) >= 0);
    CHECK (RCVMORE (mon));
    CHECK (recv_buf (mon, e->remote, sizeof e->remote, 0) >= 0);
    CHECK (!RCVMORE (mon));
    return 1;
}

/*  Skips other events until one with this id (5 s at most). When busy is
    a socket, it is used meanwhile (as a program would): libzmq publishes
    pipe statistics once the socket processes its commands. */
static void expect_busy (void *mon, uint64_t id, struct event *e, void *busy)
{
    const long long deadline = now_ms () + 5000;
    for (;;) {
        const long long left = deadline - now_ms ();
        if (left <= 0)
            TEST_FAIL_ ("no v2 event 0x%" PRIx64 " within 5 s", id);
        if (busy)
            GET_INT (busy, ZMQ_EVENTS);
        if (!next_event (mon, busy ? 20 : (int) left, e))
            continue;
        if (e->id == id)
            return;
    }
}

static void expect (void *mon, uint64_t id, struct event *e)
{
    expect_busy (mon, id, e, NULL);
}

#define CHECK_ADDRS(e, want_local, want_remote)                                \
    do {                                                                       \
        if (strcmp ((e).local, (want_local)) != 0                              \
            || strcmp ((e).remote, (want_remote)) != 0)                        \
            TEST_FAIL_ ("event 0x%" PRIx64 ": local \"%s\", remote \"%s\"; "   \
                        "want local \"%s\", remote \"%s\"",                    \
                        (e).id, (e).local, (e).remote, (want_local),           \
                        (want_remote));                                        \
    } while (0)

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/*  A tcp address of 127.0.0.1 with a real port. */
static void check_real_address (const char *addr, const char *what)
{
    if (strncmp (addr, "tcp://127.0.0.1:", 16) != 0 || atoi (addr + 16) <= 0)
        TEST_FAIL_ ("%s is \"%s\", not a tcp address of 127.0.0.1 with a "
                    "port",
                    what, addr);
}

static void tcp_addresses (void)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    void *bmon = monitor (rep, "inproc://v2-bind");
    CHECK_RC (zmq_bind (rep, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (rep, ep, sizeof ep);
    struct event e;
    expect (bmon, ZMQ_EVENT_LISTENING, &e);
    CHECK_ADDRS (e, ep, "");

    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    void *cmon = monitor (req, "inproc://v2-connect");
    CHECK_RC (zmq_connect (req, ep));

    /*  Connecting side. */
    expect (cmon, ZMQ_EVENT_CONNECT_DELAYED, &e);
    CHECK_ADDRS (e, "", ep);
    expect (cmon, ZMQ_EVENT_CONNECTED, &e);
    check_real_address (e.local, "CONNECTED's local address");
    CHECK (strcmp (e.local, ep) != 0);
    CHECK_STR (e.remote, ep);
    char conn_local[256];
    strcpy (conn_local, e.local);
    expect (cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &e);
    CHECK_ADDRS (e, conn_local, ep);

    /*  Binding side: both ends, the remote one being the connecter's local
        address. */
    expect (bmon, ZMQ_EVENT_ACCEPTED, &e);
    CHECK_ADDRS (e, ep, conn_local);
    expect (bmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &e);
    CHECK_ADDRS (e, ep, conn_local);

    /*  Pipe statistics carry the pipe's connection. */
    SEND_STR (req, "hello", 0);
    RECV_STR (rep, "hello", 0);
    CHECK_RC (zmq_socket_monitor_pipes_stats (rep));
    expect_busy (bmon, ZMQ_EVENT_PIPES_STATS, &e, rep);
    CHECK_EQ (e.n, 2);
    CHECK_ADDRS (e, ep, conn_local);
    CHECK_RC (zmq_socket_monitor_pipes_stats (req));
    expect_busy (cmon, ZMQ_EVENT_PIPES_STATS, &e, req);
    CHECK_EQ (e.n, 2);
    /*  libzmq names a connecting socket's pipe when it connects: no local
        address, the endpoint as given. */
    CHECK_ADDRS (e, "", ep);

    /*  The connection ends: DISCONNECTED on the binding side. */
    SEND_STR (rep, "world", 0);
    RECV_STR (req, "world", 0);
    CHECK_RC (zmq_close (req));
    expect (bmon, ZMQ_EVENT_DISCONNECTED, &e);
    CHECK_ADDRS (e, ep, conn_local);

    /*  The listener closes: CLOSED with the endpoint. */
    CHECK_RC (zmq_unbind (rep, ep));
    expect (bmon, ZMQ_EVENT_CLOSED, &e);
    CHECK_ADDRS (e, ep, "");
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_close (bmon));
    CHECK_RC (zmq_close (cmon));
}

/*  The connecting side's DISCONNECTED: the peer goes away. */
static void connect_side_disconnected (void)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (rep, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (rep, ep, sizeof ep);
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    SET_INT (req, ZMQ_RECONNECT_IVL, 100);
    void *cmon = monitor (req, "inproc://v2-connect-2");
    CHECK_RC (zmq_connect (req, ep));
    struct event e;
    expect (cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &e);
    char conn_local[256];
    strcpy (conn_local, e.local);
    check_real_address (conn_local, "HANDSHAKE_SUCCEEDED's local address");
    if (strcmp (conn_local, ep) == 0)
        TEST_FAIL_ ("HANDSHAKE_SUCCEEDED's local address is the endpoint");
    CHECK_RC (zmq_close (rep));
    expect (cmon, ZMQ_EVENT_DISCONNECTED, &e);
    CHECK_ADDRS (e, conn_local, ep);
    /*  Reconnecting: CONNECT_RETRIED has no local address. */
    expect (cmon, ZMQ_EVENT_CONNECT_RETRIED, &e);
    CHECK_ADDRS (e, "", ep);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (cmon));
}

static void ipc_bind_side (void)
{
    char ep[64];
    snprintf (ep, sizeof ep, "ipc://v2-%d.ipc", (int) getpid ());
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    void *bmon = monitor (rep, "inproc://v2-ipc");
    CHECK_RC (zmq_bind (rep, ep));
    struct event e;
    expect (bmon, ZMQ_EVENT_LISTENING, &e);
    CHECK_ADDRS (e, ep, "");
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (req, ep));
    expect (bmon, ZMQ_EVENT_ACCEPTED, &e);
    CHECK_STR (e.local, ep);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_unbind (rep, ep));
    expect (bmon, ZMQ_EVENT_CLOSED, &e);
    CHECK_ADDRS (e, ep, "");
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_close (bmon));
}

static void run (void (*fn) (void))
{
    ctx = CHECK_PTR (zmq_ctx_new ());
    fn ();
    CHECK_RC (zmq_ctx_term (ctx));
}

static void case_tcp (void *arg)
{
    (void) arg;
    run (tcp_addresses);
}
static void case_disconnected (void *arg)
{
    (void) arg;
    run (connect_side_disconnected);
}
static void case_ipc (void *arg)
{
    (void) arg;
    run (ipc_bind_side);
}

int main (void)
{
    TEST_TIMEOUT (40);
    const struct isolated_case cases[] = {
      {"tcp: both sides' events, pipe statistics, DISCONNECTED, CLOSED",
       case_tcp, NULL},
      {"tcp: the connecting side's DISCONNECTED and CONNECT_RETRIED",
       case_disconnected, NULL},
      {"ipc: the binding side's LISTENING, ACCEPTED, CLOSED", case_ipc, NULL},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               20)
             ? 1
             : 0;
}
