/*  PEER: zmq_connect_peer returns the routing id of the new peer at once,
    messages travel both ways by routing id, over inproc and tcp; EFAULT with
    ZMQ_IMMEDIATE (no pipe, so no routing id, before the connection is up),
    ENOTSUP on other socket types. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

static void *ctx;

static void send_to (void *s, uint32_t rid, char byte)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init_size (&m, 1));
    *(char *) zmq_msg_data (&m) = byte;
    CHECK_RC (zmq_msg_set_routing_id (&m, rid));
    CHECK_EQ (zmq_msg_send (&m, s, 0), 1);
}

static uint32_t recv_from (void *s, char byte)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    CHECK_EQ (zmq_msg_recv (&m, s, 0), 1);
    CHECK_EQ (*(char *) zmq_msg_data (&m), byte);
    uint32_t rid = zmq_msg_routing_id (&m);
    CHECK_RC (zmq_msg_close (&m));
    return rid;
}

static void test_peer (const char *bind_to)
{
    void *p1 = SOCKET (ctx, ZMQ_PEER);
    void *p2 = SOCKET (ctx, ZMQ_PEER);
    CHECK_EQ (GET_INT (p1, ZMQ_THREAD_SAFE), 1);
    CHECK_RC (zmq_bind (p1, bind_to));
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (p1, ZMQ_LAST_ENDPOINT, endpoint, &len));

    uint32_t to_p1 = zmq_connect_peer (p2, endpoint);
    CHECK (to_p1 != 0);
    /*  Sent before the connection is up: it goes out once it is. */
    send_to (p2, to_p1, 1);
    uint32_t to_p2 = recv_from (p1, 1);
    CHECK (to_p2 != 0);
    send_to (p1, to_p2, 2);
    CHECK_EQ (recv_from (p2, 2), to_p1);

    /*  Each connect is a peer of its own, with its own routing id. */
    uint32_t again = zmq_connect_peer (p2, endpoint);
    CHECK (again != 0 && again != to_p1);
    send_to (p2, again, 3);
    uint32_t second = recv_from (p1, 3);
    CHECK (second != to_p2);

    CHECK_RC (zmq_close (p1));
    CHECK_RC (zmq_close (p2));
}

static void test_errors (void)
{
    void *peer = PLAIN_SOCKET (ctx, ZMQ_PEER);
    SET_INT (peer, ZMQ_IMMEDIATE, 1);
    errno = 0;
    CHECK_EQ (zmq_connect_peer (peer, "tcp://127.0.0.1:5555"), 0);
    CHECK_EQ (errno, EFAULT);
    CHECK_RC (zmq_close (peer));

    void *dealer = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    errno = 0;
    CHECK_EQ (zmq_connect_peer (dealer, "tcp://127.0.0.1:5555"), 0);
    CHECK_EQ (errno, ENOTSUP);
    CHECK_RC (zmq_close (dealer));

    errno = 0;
    CHECK_EQ (zmq_connect_peer (NULL, "tcp://127.0.0.1:5555"), 0);
    CHECK_EQ (errno, ENOTSOCK);
}

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_peer ("inproc://peer");
    test_peer ("tcp://127.0.0.1:*");
    test_errors ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
