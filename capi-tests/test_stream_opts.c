// STREAM sockets: creation, ZMQ_STREAM_NOTIFY validation, and what libzmq
// does with a STREAM over inproc: the peer's frames arrive as
// [generated routing id][frame] with no connect notification, replies are
// routed by that id, unknown ids fail with EHOSTUNREACH, and
// CONNECT_ROUTING_ID names a connection made by the STREAM.
#include "testutil.h"

static void test_options (void *ctx)
{
    void *stream = SOCKET (ctx, ZMQ_STREAM);
    CHECK (GET_INT (stream, ZMQ_TYPE) == ZMQ_STREAM);

    //  STREAM_NOTIFY is a 0/1 switch, write-only, STREAM-only.
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 0);
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 1);
    int value = 2;
    CHECK_ERR (zmq_setsockopt (stream, ZMQ_STREAM_NOTIFY, &value, sizeof value),
               EINVAL);
    value = 1;
    CHECK_ERR (zmq_setsockopt (stream, ZMQ_STREAM_NOTIFY, &value, 2), EINVAL);
    size_t size = sizeof value;
    CHECK_ERR (zmq_getsockopt (stream, ZMQ_STREAM_NOTIFY, &value, &size),
               EINVAL);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_setsockopt (dealer, ZMQ_STREAM_NOTIFY, &value, sizeof value),
               EINVAL);

    //  Ordinary options apply as to any socket.
    SET_INT (stream, ZMQ_SNDHWM, 10);
    CHECK (GET_INT (stream, ZMQ_SNDHWM) == 10);
    SET_INT (stream, ZMQ_LINGER, 0);
    CHECK (GET_INT (stream, ZMQ_LINGER) == 0);
    CHECK_RC (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "peer", 4));

    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (stream));
}

static void test_inproc (void *ctx)
{
    void *stream = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (stream, ZMQ_STREAM_NOTIFY, 1);
    CHECK_RC (zmq_bind (stream, "inproc://stream"));

    //  The peer's own routing id plays no part: the STREAM names the
    //  connection itself, with 5 bytes starting with a zero byte.
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "dealer", 6));
    CHECK_RC (zmq_connect (dealer, "inproc://stream"));
    SEND_STR (dealer, "first", 0);
    SEND_STR (dealer, "second", 0);

    //  No connect notification over inproc: the first message is data.
    unsigned char id[256];
    int id_len = CHECK_RC (zmq_recv (stream, id, sizeof id, 0));
    CHECK (id_len == 5);
    CHECK (id[0] == 0);
    CHECK (RCVMORE (stream) == 1);
    RECV_STR (stream, "first", 0);
    CHECK (RCVMORE (stream) == 0);
    unsigned char id2[256];
    CHECK (CHECK_RC (zmq_recv (stream, id2, sizeof id2, 0)) == 5);
    CHECK (memcmp (id, id2, 5) == 0);
    RECV_STR (stream, "second", 0);
    CHECK (RCVMORE (stream) == 0);

    //  Replies are routed by the id; the peer sees the payload alone.
    CHECK (CHECK_RC (zmq_send (stream, id, 5, ZMQ_SNDMORE)) == 5);
    SEND_STR (stream, "reply", 0);
    RECV_STR (dealer, "reply", 0);
    CHECK (RCVMORE (dealer) == 0);

    //  A STREAM always refuses unknown ids.
    CHECK_ERR (zmq_send (stream, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);

    //  A STREAM that connects can name the connection beforehand.
    void *bound = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (bound, "inproc://stream-connect"));
    void *client = SOCKET (ctx, ZMQ_STREAM);
    CHECK_RC (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "cid", 3));
    CHECK_RC (zmq_connect (client, "inproc://stream-connect"));
    SEND_STR (client, "cid", ZMQ_SNDMORE);
    SEND_STR (client, "raw", 0);
    RECV_STR (bound, "raw", 0);
    CHECK (RCVMORE (bound) == 0);
    SEND_STR (bound, "back", 0);
    RECV_STR (client, "cid", 0);
    CHECK (RCVMORE (client) == 1);
    RECV_STR (client, "back", 0);
    CHECK (RCVMORE (client) == 0);

    SET_INT (stream, ZMQ_LINGER, 0);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (bound));
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (stream));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_options (ctx);
    test_inproc (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
