// Several ws paths on one port: binds of ws://127.0.0.1:PORT/a and /b (from
// two sockets, and from one) share the listener, each connection reaches the
// socket whose path its request names, a path bound twice is refused, a path
// nobody bound gets no socket while several are bound, and the port stays
// open until its last path is unbound.
// libzmq: skip libzmq 4.3.4 binds each ws endpoint to its own listener, so a second path on a port fails with EADDRINUSE
#include "testutil.h"

static int port_of (void *s)
{
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    const char *colon = strrchr (ep, ':');
    CHECK (colon != NULL);
    return atoi (colon + 1);
}

static void roundtrip (void *ctx, const char *ep, void *rep, const char *text)
{
    void *req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, text, 0);
    RECV_STR (rep, text, 0);
    SEND_STR (rep, "ok", 0);
    RECV_STR (req, "ok", 0);
    CHECK_RC (zmq_close (req));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = SOCKET (ctx, ZMQ_REP);
    void *b = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_bind (a, "ws://127.0.0.1:*/a"));
    const int port = port_of (a);
    char ep_a[128], ep_b[128], ep_c[128], ep_none[128], last[256];
    snprintf (ep_a, sizeof ep_a, "ws://127.0.0.1:%d/a", port);
    snprintf (ep_b, sizeof ep_b, "ws://127.0.0.1:%d/b", port);
    snprintf (ep_c, sizeof ep_c, "ws://127.0.0.1:%d/c", port);
    snprintf (ep_none, sizeof ep_none, "ws://127.0.0.1:%d/nobody", port);

    //  With one path bound, a request for another still reaches it (libzmq
    //  ignores the path altogether).
    roundtrip (ctx, ep_none, a, "only one");

    CHECK_RC (zmq_bind (b, ep_b));
    size_t len = sizeof last;
    CHECK_RC (zmq_getsockopt (b, ZMQ_LAST_ENDPOINT, last, &len));
    CHECK_STR (last, ep_b);
    //  The same path twice is refused, by another socket or the same.
    CHECK_ERR (zmq_bind (b, ep_a), EADDRINUSE);
    CHECK_ERR (zmq_bind (a, ep_b), EADDRINUSE);

    for (int i = 0; i < 3; i++) {
        roundtrip (ctx, ep_a, a, "to a");
        roundtrip (ctx, ep_b, b, "to b");
    }
    //  With several paths bound, an unknown one reaches nobody: the upgrade is
    //  refused, which, as any handshake protocol error in libzmq, ends the
    //  endpoint and its pipe. The message is queued or, when the refusal came
    //  first, there is no pipe left to take it (EAGAIN).
    void *lost = SOCKET (ctx, ZMQ_REQ);
    SET_INT (lost, ZMQ_LINGER, 0);
    void *lost_mon = MONITOR (ctx, lost, "inproc://ws-paths-lost",
                              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK_RC (zmq_connect (lost, ep_none));
    const int sent = zmq_send (lost, "lost", 4, ZMQ_DONTWAIT);
    CHECK (sent == 4 || (sent == -1 && errno == EAGAIN));
    CHECK (await_event (lost_mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, NULL, 3000));
    EXPECT_NOTHING (a, 200);
    EXPECT_NOTHING (b, 100);
    CHECK_RC (zmq_close (lost_mon));
    CHECK_RC (zmq_close (lost));

    //  A third path from a socket that already has one.
    CHECK_RC (zmq_bind (b, ep_c));
    roundtrip (ctx, ep_c, b, "to c");

    //  Unbinding /a leaves /b and /c served on the same port.
    CHECK_RC (zmq_unbind (a, ep_a));
    roundtrip (ctx, ep_b, b, "b still");
    roundtrip (ctx, ep_c, b, "c still");
    //  /a can be bound again, by the other socket.
    CHECK_RC (zmq_bind (b, ep_a));
    roundtrip (ctx, ep_a, b, "a again");

    //  Closing the last socket on the port frees it.
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    void *c = SOCKET (ctx, ZMQ_REP);
    int bound = 0;
    for (int i = 0; i < 100 && !bound; i++) {
        bound = zmq_bind (c, ep_a) == 0;
        if (!bound)
            msleep (10);
    }
    CHECK (bound);
    roundtrip (ctx, ep_a, c, "new listener");
    CHECK_RC (zmq_close (c));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
