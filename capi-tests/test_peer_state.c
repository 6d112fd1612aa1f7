/*  zmq_socket_get_peer_state: a ROUTER with ZMQ_ROUTER_MANDATORY learns
    whether a message to a given peer could go now (ZMQ_POLLOUT) and stops
    sending to a peer that does not read, while it keeps serving the others;
    EHOSTUNREACH for an unknown peer, ENOTSUP for other socket types,
    ENOTSOCK for no socket. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (router, ZMQ_ROUTER_MANDATORY, 1);
    SET_INT (router, ZMQ_SNDHWM, 100);
    CHECK_RC (zmq_bind (router, "inproc://peer-state"));
    void *d1 = SOCKET (ctx, ZMQ_DEALER);
    void *d2 = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (d1, ZMQ_RCVHWM, 100);
    SET_INT (d2, ZMQ_RCVHWM, 100);
    CHECK_RC (zmq_setsockopt (d1, ZMQ_ROUTING_ID, "X", 1));
    CHECK_RC (zmq_setsockopt (d2, ZMQ_ROUTING_ID, "Y", 1));
    CHECK_RC (zmq_connect (d1, "inproc://peer-state"));
    CHECK_RC (zmq_connect (d2, "inproc://peer-state"));
    SEND_STR (d1, "hi", 0);
    RECV_STR (router, "X", 0);
    RECV_STR (router, "hi", 0);
    SEND_STR (d2, "hi", 0);
    RECV_STR (router, "Y", 0);
    RECV_STR (router, "hi", 0);

    CHECK_EQ (zmq_socket_get_peer_state (router, "X", 1), ZMQ_POLLOUT);
    CHECK_ERR (zmq_socket_get_peer_state (router, "Z", 1), EHOSTUNREACH);
    CHECK_ERR (zmq_socket_get_peer_state (d1, "X", 1), ENOTSUP);
    CHECK_ERR (zmq_socket_get_peer_state (NULL, "X", 1), ENOTSOCK);

    /*  Send to both while only X reads: Y fills up. */
    int blocked = 0, sent_x = 0;
    char buf[16];
    for (int i = 0; i < 1000; i++) {
        if (zmq_socket_get_peer_state (router, "X", 1) & ZMQ_POLLOUT) {
            SEND_STR (router, "X", ZMQ_SNDMORE | ZMQ_DONTWAIT);
            SEND_STR (router, "msg", ZMQ_DONTWAIT);
            sent_x++;
        }
        int st = zmq_socket_get_peer_state (router, "Y", 1);
        CHECK (st >= 0);
        if (st & ZMQ_POLLOUT) {
            SEND_STR (router, "Y", ZMQ_SNDMORE | ZMQ_DONTWAIT);
            SEND_STR (router, "msg", ZMQ_DONTWAIT);
        } else
            blocked = 1;
        while (zmq_recv (d1, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        }
    }
    CHECK (blocked);
    CHECK (sent_x > 0);
    /*  Once X has read everything it can take more, while Y stays full. */
    for (int i = 0; i < 50 && zmq_socket_get_peer_state (router, "X", 1) == 0; i++) {
        while (zmq_recv (d1, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        }
        msleep (10);
        /*  libzmq learns of the room made only when the socket runs. */
        GET_INT (router, ZMQ_EVENTS);
    }
    CHECK_EQ (zmq_socket_get_peer_state (router, "X", 1), ZMQ_POLLOUT);
    /*  A full peer is refused with EAGAIN, as the state said. */
    CHECK_EQ (zmq_socket_get_peer_state (router, "Y", 1), 0);
    CHECK_ERR (zmq_send (router, "Y", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EAGAIN);

    void *all[] = {router, d1, d2};
    for (int i = 0; i < 3; i++) {
        SET_INT (all[i], ZMQ_LINGER, 0);
        CHECK_RC (zmq_close (all[i]));
    }
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
