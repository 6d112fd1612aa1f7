// libzmq: skip draft API absent from Debian's libzmq build (ROUTER_NOTIFY, HELLO_MSG, DISCONNECT_MSG, HICCUP_MSG)
/*  Draft connection messages over tcp: ROUTER_NOTIFY's connect and disconnect
    notices, HELLO_MSG sent to each new peer, DISCONNECT_MSG delivered when a peer
    leaves, HICCUP_MSG delivered to a connecting socket that lost its peer. */
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
#include <string.h>
#include "testutil.h"

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

static void test_router_notify (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (router, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    CHECK_RC (zmq_bind (router, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (router, ep, sizeof ep);

    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "d1", 2));
    CHECK_RC (zmq_connect (dealer, ep));

    /*  Connect notice: [routing id][empty]. */
    RECV_STR (router, "d1", ZMQ_SNDMORE);
    RECV_STR (router, "", 0);

    SEND_STR (dealer, "hi", 0);
    RECV_STR (router, "d1", ZMQ_SNDMORE);
    RECV_STR (router, "hi", 0);

    /*  Disconnect notice when the peer goes. */
    CHECK_RC (zmq_close (dealer));
    RECV_STR (router, "d1", ZMQ_SNDMORE);
    RECV_STR (router, "", 0);
    CHECK_RC (zmq_close (router));
}

static void test_hello_and_disconnect_msg (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_setsockopt (router, ZMQ_HELLO_MSG, "welcome", 7));
    CHECK_RC (zmq_setsockopt (router, ZMQ_DISCONNECT_MSG, "gone", 4));
    CHECK_RC (zmq_bind (router, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (router, ep, sizeof ep);

    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "d2", 2));
    CHECK_RC (zmq_connect (dealer, ep));
    /*  The new peer's first message is the hello. */
    RECV_STR (dealer, "welcome", 0);

    SEND_STR (dealer, "ping", 0);
    RECV_STR (router, "d2", ZMQ_SNDMORE);
    RECV_STR (router, "ping", 0);

    /*  The router hears of the peer leaving through its disconnect message. */
    CHECK_RC (zmq_close (dealer));
    RECV_STR (router, "d2", ZMQ_SNDMORE);
    RECV_STR (router, "gone", 0);
    CHECK_RC (zmq_close (router));
}

static void test_hiccup_msg (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (router, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (router, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (router, ep, sizeof ep);

    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_HICCUP_MSG, "hiccup", 6));
    CHECK_RC (zmq_connect (dealer, ep));
    SEND_STR (dealer, "first", 0);
    char id[16];
    CHECK (zmq_recv (router, id, sizeof id, 0) > 0);
    RECV_STR (router, "first", 0);

    /*  The connected peer goes away: the connecting socket receives the hiccup. */
    CHECK_RC (zmq_close (router));
    RECV_STR (dealer, "hiccup", 0);
    SET_INT (dealer, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (dealer));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_router_notify (ctx);
    test_hello_and_disconnect_msg (ctx);
    test_hiccup_msg (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
