/*  ZMQ_HELLO_MSG (draft) over inproc: a ROUTER's hello reaches each DEALER
    that connects to it, and a DEALER's hello reaches the ROUTER, whichever
    side binds and whether the bind comes first or last, even while the
    ROUTER makes no call. */
// libzmq: skip draft option of 4.3.5; Debian's libzmq 4.3.4 refuses ZMQ_HELLO_MSG
#define ZMQ_BUILD_DRAFT_API
#include "testutil.h"

static void *hello_router (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_setsockopt (router, ZMQ_HELLO_MSG, "HELLO", 5));
    return router;
}

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());

    /*  ROUTER bound first. */
    void *router = hello_router (ctx);
    CHECK_RC (zmq_bind (router, "inproc://hello-1"));
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (dealer, "inproc://hello-1"));
    RECV_STR (dealer, "HELLO", 0);
    void *dealer2 = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (dealer2, "inproc://hello-1"));
    RECV_STR (dealer2, "HELLO", 0);
    /*  And the ROUTER works on. */
    SEND_STR (dealer, "ping", 0);
    char id[32];
    CHECK (recv_buf (router, id, sizeof id, 0) > 0);
    RECV_STR (router, "ping", 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (dealer2));
    CHECK_RC (zmq_close (router));

    /*  DEALER connected first, ROUTER bound later. */
    dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (dealer, "inproc://hello-2"));
    router = hello_router (ctx);
    CHECK_RC (zmq_bind (router, "inproc://hello-2"));
    RECV_STR (dealer, "HELLO", 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (router));

    /*  The DEALER binds, the ROUTER connects. */
    dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (dealer, "inproc://hello-3"));
    router = hello_router (ctx);
    CHECK_RC (zmq_connect (router, "inproc://hello-3"));
    RECV_STR (dealer, "HELLO", 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (router));

    /*  A DEALER's hello reaches the ROUTER after the DEALER's routing id. */
    router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_bind (router, "inproc://hello-4"));
    dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D", 1));
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_HELLO_MSG, "HI", 2));
    CHECK_RC (zmq_connect (dealer, "inproc://hello-4"));
    RECV_STR (router, "D", 0);
    RECV_STR (router, "HI", 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (router));

    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
