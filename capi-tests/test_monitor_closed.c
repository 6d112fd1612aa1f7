/*  ZMQ_EVENT_CLOSED, as libzmq reports it: when a listener closes (unbind,
    or the bound socket's close, tcp and ipc) with the bound endpoint; when a
    connect in progress is abandoned (zmq_disconnect) with the connect
    endpoint; and when ZMQ_RECONNECT_STOP_CONN_REFUSED ends the connecter
    (CONNECT_DELAYED, CLOSED, then no retry). */
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void *ctx;
static int monitors;

/*  Monitors s (every event) through a PAIR, returned. */
static void *monitor (void *s)
{
    char ep[64];
    snprintf (ep, sizeof ep, "inproc://closed-monitor-%d", monitors++);
    CHECK_RC (zmq_socket_monitor (s, ep, ZMQ_EVENT_ALL));
    void *m = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (m, ep));
    return m;
}

/*  The next event within ms (0 when none came); its address into addr. */
static int next_event (void *mon, int ms, char *addr, size_t cap)
{
    SET_INT (mon, ZMQ_RCVTIMEO, ms);
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    if (zmq_msg_recv (&m, mon, 0) == -1) {
        CHECK (errno == EAGAIN);
        CHECK_RC (zmq_msg_close (&m));
        return 0;
    }
    CHECK (zmq_msg_size (&m) == 6);
    uint16_t id;
    memcpy (&id, zmq_msg_data (&m), 2);
    CHECK_RC (zmq_msg_close (&m));
    CHECK (RCVMORE (mon));
    SET_INT (mon, ZMQ_RCVTIMEO, 5000);
    const int n = recv_buf (mon, addr, cap, 0);
    CHECK (n >= 0);
    return id;
}

/*  Skips events until one of the given id comes (5 s at most); its address
    must be addr. */
static void expect_event (void *mon, int want, const char *addr)
{
    const long long deadline = now_ms () + 5000;
    char got[256];
    for (;;) {
        const long long left = deadline - now_ms ();
        const int id = left > 0 ? next_event (mon, (int) left, got, sizeof got)
                                : 0;
        if (id == 0)
            TEST_FAIL_ ("no event 0x%x for %s within 5 s", want, addr);
        if (id == want) {
            CHECK_STR (got, addr);
            return;
        }
    }
}

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

static void closed_on_unbind (const char *bind_ep)
{
    void *s = SOCKET (ctx, ZMQ_PULL);
    SET_INT (s, ZMQ_LINGER, 0);
    void *mon = monitor (s);
    CHECK_RC (zmq_bind (s, bind_ep));
    char ep[256];
    last_endpoint (s, ep, sizeof ep);
    expect_event (mon, ZMQ_EVENT_LISTENING, ep);
    CHECK_RC (zmq_unbind (s, ep));
    expect_event (mon, ZMQ_EVENT_CLOSED, ep);
    CHECK_RC (zmq_close (s));
    expect_event (mon, ZMQ_EVENT_MONITOR_STOPPED, "");
    CHECK_RC (zmq_close (mon));
}

static void closed_on_close (const char *bind_ep)
{
    void *s = SOCKET (ctx, ZMQ_PULL);
    SET_INT (s, ZMQ_LINGER, 0);
    void *mon = monitor (s);
    CHECK_RC (zmq_bind (s, bind_ep));
    char ep[256];
    last_endpoint (s, ep, sizeof ep);
    expect_event (mon, ZMQ_EVENT_LISTENING, ep);
    CHECK_RC (zmq_close (s));
    /*  The listener's CLOSED comes before the monitor stops. */
    char got[256];
    const int id = next_event (mon, 5000, got, sizeof got);
    if (id != ZMQ_EVENT_CLOSED)
        TEST_FAIL_ ("closing a socket bound to %s: event 0x%x (%s) instead "
                    "of CLOSED",
                    ep, id, got);
    CHECK_STR (got, ep);
    expect_event (mon, ZMQ_EVENT_MONITOR_STOPPED, "");
    CHECK_RC (zmq_close (mon));
}

static void closed_on_disconnect_while_connecting (void)
{
    char ep[64];
    int fill[2];
    const int lfd = full_backlog (ep, sizeof ep, fill, 2);
    void *s = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (s, ZMQ_LINGER, 0);
    void *mon = monitor (s);
    CHECK_RC (zmq_connect (s, ep));
    expect_event (mon, ZMQ_EVENT_CONNECT_DELAYED, ep);
    CHECK_RC (zmq_disconnect (s, ep));
    /*  libzmq ends the connecter once the socket has processed the pipe's
        termination (any call on the socket does): the socket is used
        meanwhile, as a program would. */
    char got[256];
    const long long deadline = now_ms () + 5000;
    int id = 0;
    while (id != ZMQ_EVENT_CLOSED) {
        if (now_ms () > deadline)
            TEST_FAIL_ ("no CLOSED event within 5 s of the disconnect");
        GET_INT (s, ZMQ_EVENTS);
        id = next_event (mon, 50, got, sizeof got);
    }
    CHECK_STR (got, ep);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_close (mon));
    close (fill[0]);
    close (fill[1]);
    close (lfd);
}

static void closed_on_reconnect_stop (void)
{
    /*  Bound, not listening: connects are refused. */
    int port;
    const int fd = refused_port (&port);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);

    void *s = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (s, ZMQ_LINGER, 0);
    SET_INT (s, ZMQ_RECONNECT_IVL, 50);
    SET_INT (s, ZMQ_RECONNECT_STOP, ZMQ_RECONNECT_STOP_CONN_REFUSED);
    void *mon = monitor (s);
    CHECK_RC (zmq_connect (s, ep));
    char got[256];
    int id = next_event (mon, 5000, got, sizeof got);
    CHECK_EQ (id, ZMQ_EVENT_CONNECT_DELAYED);
    CHECK_STR (got, ep);
    id = next_event (mon, 5000, got, sizeof got);
    if (id != ZMQ_EVENT_CLOSED)
        TEST_FAIL_ ("a refused connect with RECONNECT_STOP_CONN_REFUSED: "
                    "event 0x%x (%s) instead of CLOSED",
                    id, got);
    CHECK_STR (got, ep);
    /*  And nothing more: no retry (the interval is 50 ms). */
    id = next_event (mon, 500, got, sizeof got);
    if (id != 0)
        TEST_FAIL_ ("event 0x%x (%s) after the connecter stopped", id, got);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_close (mon));
    close (fd);
}

static char ipc1[64], ipc2[64];

static void in_context (void (*fn) (const char *), const char *arg)
{
    ctx = CHECK_PTR (zmq_ctx_new ());
    fn (arg);
    CHECK_RC (zmq_ctx_term (ctx));
}

static void unbind_tcp (void *arg)
{
    (void) arg;
    in_context (closed_on_unbind, "tcp://127.0.0.1:*");
}
static void unbind_ipc (void *arg)
{
    (void) arg;
    in_context (closed_on_unbind, ipc1);
}
static void close_tcp (void *arg)
{
    (void) arg;
    in_context (closed_on_close, "tcp://127.0.0.1:*");
}
static void close_ipc (void *arg)
{
    (void) arg;
    in_context (closed_on_close, ipc2);
}
static void disconnect_connecting (void *arg)
{
    (void) arg;
    ctx = CHECK_PTR (zmq_ctx_new ());
    closed_on_disconnect_while_connecting ();
    CHECK_RC (zmq_ctx_term (ctx));
}
static void reconnect_stop (void *arg)
{
    (void) arg;
    ctx = CHECK_PTR (zmq_ctx_new ());
    closed_on_reconnect_stop ();
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (40);
    snprintf (ipc1, sizeof ipc1, "ipc://closed-%d-1.ipc", (int) getpid ());
    snprintf (ipc2, sizeof ipc2, "ipc://closed-%d-2.ipc", (int) getpid ());
    const struct isolated_case cases[] = {
      {"CLOSED on unbind (tcp)", unbind_tcp, NULL},
      {"CLOSED on unbind (ipc)", unbind_ipc, NULL},
      {"CLOSED when the bound socket closes (tcp)", close_tcp, NULL},
      {"CLOSED when the bound socket closes (ipc)", close_ipc, NULL},
      {"CLOSED on disconnect while connecting", disconnect_connecting, NULL},
      {"CLOSED when RECONNECT_STOP_CONN_REFUSED stops the connecter",
       reconnect_stop, NULL},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               20)
             ? 1
             : 0;
}
