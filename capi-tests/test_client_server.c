/*  CLIENT and SERVER (RFC 41): routing ids on messages, single-part only
    (ZMQ_SNDMORE is EINVAL), replies routed to the right client over inproc,
    tcp and ipc, EHOSTUNREACH for an unknown routing id, ZMQ_THREAD_SAFE. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

static void *ctx;

static void send_rid (void *s, const char *text, uint32_t rid)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init_size (&m, strlen (text)));
    memcpy (zmq_msg_data (&m), text, strlen (text));
    if (rid)
        CHECK_RC (zmq_msg_set_routing_id (&m, rid));
    CHECK_EQ (zmq_msg_send (&m, s, 0), (int) strlen (text));
}

/*  Receives one message; returns its routing id. */
static uint32_t recv_rid (void *s, const char *want)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    CHECK_EQ (zmq_msg_recv (&m, s, 0), (int) strlen (want));
    if (memcmp (zmq_msg_data (&m), want, strlen (want)) != 0)
        TEST_FAIL_ ("got %.*s, want %s", (int) zmq_msg_size (&m), (char *) zmq_msg_data (&m), want);
    CHECK_EQ (zmq_msg_more (&m), 0);
    uint32_t rid = zmq_msg_routing_id (&m);
    CHECK_RC (zmq_msg_close (&m));
    return rid;
}

static void round_trip (const char *bind_to)
{
    void *server = SOCKET (ctx, ZMQ_SERVER);
    void *c1 = SOCKET (ctx, ZMQ_CLIENT);
    void *c2 = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_bind (server, bind_to));
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_RC (zmq_connect (c1, endpoint));
    CHECK_RC (zmq_connect (c2, endpoint));

    send_rid (c1, "one", 0);
    /*  zmq_poll serves thread-safe sockets too. */
    zmq_pollitem_t items[2] = {{server, 0, ZMQ_POLLIN, 0},
                               {c2, 0, ZMQ_POLLIN, 0}};
    CHECK_EQ (zmq_poll (items, 2, 5000), 1);
    CHECK_EQ (items[0].revents, ZMQ_POLLIN);
    CHECK_EQ (items[1].revents, 0);
    uint32_t r1 = recv_rid (server, "one");
    CHECK_EQ (zmq_poll (items, 2, 0), 0);
    send_rid (c2, "two", 0);
    uint32_t r2 = recv_rid (server, "two");
    CHECK (r1 != 0 && r2 != 0 && r1 != r2);

    /*  Replies go to the client the routing id names, arriving without one. */
    send_rid (server, "to-two", r2);
    send_rid (server, "to-one", r1);
    CHECK_EQ (recv_rid (c2, "to-two"), 0);
    CHECK_EQ (recv_rid (c1, "to-one"), 0);

    /*  The same client keeps its routing id. */
    send_rid (c1, "again", 0);
    CHECK_EQ (recv_rid (server, "again"), r1);

    /*  Unknown routing ids, and none at all. */
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init_size (&m, 1));
    CHECK_RC (zmq_msg_set_routing_id (&m, r1 + r2 + 1));
    CHECK_ERR (zmq_msg_send (&m, server, 0), EHOSTUNREACH);
    CHECK_RC (zmq_msg_close (&m));
    CHECK_ERR (zmq_send (server, "x", 1, ZMQ_DONTWAIT), EHOSTUNREACH);

    /*  Single-part only, both ways. */
    CHECK_ERR (zmq_send (c1, "x", 1, ZMQ_SNDMORE), EINVAL);
    CHECK_RC (zmq_msg_init_size (&m, 1));
    memcpy (zmq_msg_data (&m), "x", 1);
    CHECK_RC (zmq_msg_set_routing_id (&m, r1));
    CHECK_ERR (zmq_msg_send (&m, server, ZMQ_SNDMORE), EINVAL);
    /*  The refused message is still the caller's: it can be sent whole. */
    CHECK_EQ (zmq_msg_send (&m, server, 0), 1);
    CHECK_EQ (recv_rid (c1, "x"), 0);

    CHECK_RC (zmq_close (c1));
    CHECK_RC (zmq_close (c2));
    CHECK_RC (zmq_close (server));
}

static void test_options (void)
{
    void *server = PLAIN_SOCKET (ctx, ZMQ_SERVER);
    void *client = PLAIN_SOCKET (ctx, ZMQ_CLIENT);
    CHECK_EQ (GET_INT (server, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ (GET_INT (client, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ (GET_INT (server, ZMQ_TYPE), ZMQ_SERVER);
    /*  Thread-safe sockets have no ZMQ_FD (zmq_poller serves them). */
    int fd;
    size_t fd_len = sizeof fd;
    CHECK_ERR (zmq_getsockopt (client, ZMQ_FD, &fd, &fd_len), EINVAL);
    /*  Nothing to receive, and no peer to send to. */
    CHECK_ERR (zmq_recv (client, &fd, sizeof fd, ZMQ_DONTWAIT), EAGAIN);
    CHECK_ERR (zmq_send (client, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK_EQ (GET_INT (client, ZMQ_EVENTS), 0);
    CHECK_EQ (GET_INT (server, ZMQ_EVENTS), ZMQ_POLLOUT);
    /*  Incompatible peers never exchange a message. */
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (dealer, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_RC (zmq_connect (dealer, endpoint));
    CHECK_RC (zmq_send (dealer, "hi", 2, 0));
    msleep (200);
    CHECK_EQ (GET_INT (server, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    round_trip ("inproc://client-server");
    round_trip ("tcp://127.0.0.1:*");
    round_trip ("ipc://*");
    test_options ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
