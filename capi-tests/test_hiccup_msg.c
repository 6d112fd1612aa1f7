/*  ZMQ_HICCUP_MSG: a CLIENT that loses its connection to a peer
    receives this message, then reconnects; a SERVER that comes back at the
    same address gets its messages again. */
// libzmq: skip ZMQ_HICCUP_MSG is absent from libzmq 4.3.4 (it came in 4.3.5)
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

static void *ctx;

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *server = SOCKET (ctx, ZMQ_SERVER);
    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    SET_INT (client, ZMQ_RECONNECT_IVL, 20);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (client, ZMQ_HICCUP_MSG, "HICCUP", 6));
    CHECK_RC (zmq_connect (client, endpoint));
    SEND_STR (client, "first", 0);
    char buf[16];
    CHECK_EQ (zmq_recv (server, buf, sizeof buf, 0), 5);

    CHECK_RC (zmq_close (server));
    RECV_STR (client, "HICCUP", 0);

    server = SOCKET (ctx, ZMQ_SERVER);
    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (server, endpoint));
    SEND_STR (client, "again", 0);
    CHECK_EQ (zmq_recv (server, buf, sizeof buf, 0), 5);
    CHECK (memcmp (buf, "again", 5) == 0);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
