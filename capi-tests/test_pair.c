// PAIR over inproc: exchange in both directions, multipart atomicity,
// bind-then-connect and connect-then-bind, and what a second connecting peer
// gets (PAIR talks to exactly one peer).
#include "testutil.h"

static void exchange (void *a, void *b)
{
    SEND_STR (a, "ping", 0);
    RECV_STR (b, "ping", 0);
    CHECK (RCVMORE (b) == 0);
    SEND_STR (b, "pong", 0);
    RECV_STR (a, "pong", 0);
    CHECK (RCVMORE (a) == 0);
}

static void test_bind_then_connect (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-bind-first"));
    CHECK_RC (zmq_connect (b, "inproc://pair-bind-first"));
    exchange (a, b);
    exchange (b, a);
    CHECK (GET_INT (a, ZMQ_TYPE) == ZMQ_PAIR);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_connect_then_bind (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (b, "inproc://pair-connect-first"));
    //  Sent before the endpoint exists: queued on the pending connection.
    SEND_STR (b, "early", ZMQ_DONTWAIT);
    CHECK_RC (zmq_bind (a, "inproc://pair-connect-first"));
    RECV_STR (a, "early", 0);
    exchange (a, b);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_multipart (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-multipart"));
    CHECK_RC (zmq_connect (b, "inproc://pair-multipart"));

    //  While a message is incomplete nothing of it is visible to the peer.
    SEND_STR (a, "one", ZMQ_SNDMORE);
    SEND_STR (a, "two", ZMQ_SNDMORE);
    char buf[16];
    CHECK_ERR (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    zmq_pollitem_t item = {b, 0, ZMQ_POLLIN, 0};
    CHECK (CHECK_RC (zmq_poll (&item, 1, 100)) == 0);
    CHECK ((GET_INT (b, ZMQ_EVENTS) & ZMQ_POLLIN) == 0);

    SEND_STR (a, "", ZMQ_SNDMORE);
    SEND_STR (a, "three", 0);
    RECV_STR (b, "one", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "two", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "", 0);
    CHECK (RCVMORE (b) == 1);
    RECV_STR (b, "three", 0);
    CHECK (RCVMORE (b) == 0);

    //  The other direction, with zmq_msg_t and ZMQ_MORE on the message.
    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init_size (&msg, 3));
    memcpy (zmq_msg_data (&msg), "abc", 3);
    CHECK (CHECK_RC (zmq_msg_send (&msg, b, ZMQ_SNDMORE)) == 3);
    CHECK_RC (zmq_msg_init_size (&msg, 2));
    memcpy (zmq_msg_data (&msg), "de", 2);
    CHECK (CHECK_RC (zmq_msg_send (&msg, b, 0)) == 2);

    CHECK_RC (zmq_msg_init (&msg));
    CHECK (CHECK_RC (zmq_msg_recv (&msg, a, 0)) == 3);
    CHECK (memcmp (zmq_msg_data (&msg), "abc", 3) == 0);
    CHECK (zmq_msg_more (&msg) == 1);
    CHECK (CHECK_RC (zmq_msg_recv (&msg, a, 0)) == 2);
    CHECK (memcmp (zmq_msg_data (&msg), "de", 2) == 0);
    CHECK (zmq_msg_more (&msg) == 0);
    CHECK_RC (zmq_msg_close (&msg));

    //  Many multipart messages keep their boundaries and their order.
    for (int i = 0; i < 100; i++) {
        char part[16];
        snprintf (part, sizeof part, "m%d", i);
        SEND_STR (a, part, ZMQ_SNDMORE);
        SEND_STR (a, "tail", 0);
    }
    for (int i = 0; i < 100; i++) {
        char part[16];
        snprintf (part, sizeof part, "m%d", i);
        RECV_STR (b, part, 0);
        CHECK (RCVMORE (b) == 1);
        RECV_STR (b, "tail", 0);
        CHECK (RCVMORE (b) == 0);
    }
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_no_peer (void *ctx)
{
    //  A PAIR without a peer cannot send: the message would have no queue.
    void *a = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-lonely"));
    CHECK_ERR (zmq_send (a, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK ((GET_INT (a, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
    SET_INT (a, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (a, "x", 1, 0), EAGAIN);
    CHECK_RC (zmq_close (a));
}

static void test_second_peer (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    void *c = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://pair-second"));
    CHECK_RC (zmq_connect (b, "inproc://pair-second"));
    exchange (a, b);

    //  The connect itself succeeds, but the bound PAIR already has its peer
    //  and refuses the new one: nothing c sends ever reaches a, and a keeps
    //  talking to b alone.
    CHECK_RC (zmq_connect (c, "inproc://pair-second"));
    for (int i = 0; i < 5; i++)
        zmq_send (c, "intruder", 8, ZMQ_DONTWAIT);
    SEND_STR (b, "from-b", 0);
    RECV_STR (a, "from-b", 0);
    SEND_STR (a, "to-b", 0);
    RECV_STR (b, "to-b", 0);
    char buf[16];
    SET_INT (a, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (a, buf, sizeof buf, 0), EAGAIN);
    SET_INT (c, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (c, buf, sizeof buf, 0), EAGAIN);

    //  Once b is gone the endpoint is free for a new peer.
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (b));
    SET_INT (c, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (c));
    void *d = NULL;
    //  The bound PAIR learns about b's departure asynchronously.
    int ok = 0;
    for (int attempt = 0; attempt < 100 && !ok; attempt++) {
        GET_INT (a, ZMQ_EVENTS);
        void *probe = SOCKET (ctx, ZMQ_PAIR);
        SET_INT (probe, ZMQ_LINGER, 0);
        CHECK_RC (zmq_connect (probe, "inproc://pair-second"));
        SEND_STR (probe, "probe", ZMQ_DONTWAIT);
        SET_INT (a, ZMQ_RCVTIMEO, 20);
        if (recv_buf (a, buf, sizeof buf, 0) == 5) {
            ok = 1;
            d = probe;
        } else
            CHECK_RC (zmq_close (probe));
    }
    CHECK (ok);
    SEND_STR (a, "welcome", 0);
    RECV_STR (d, "welcome", 0);
    SET_INT (a, ZMQ_LINGER, 0);
    SET_INT (d, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (d));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_bind_then_connect (ctx);
    test_connect_then_bind (ctx);
    test_multipart (ctx);
    test_no_peer (ctx);
    test_second_peer (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
