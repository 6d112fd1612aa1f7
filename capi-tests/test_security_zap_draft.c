/*  The draft ZMQ_ZAP_ENFORCE_DOMAIN: without a handler, a socket that enforces
    its ZAP domain refuses every peer (NO_DETAIL with EFAULT), for NULL and
    CURVE; with the option off, a missing handler lets peers in. */
// libzmq: skip ZMQ_ZAP_ENFORCE_DOMAIN is a draft option, absent from Debian's build
#define ZMQ_BUILD_DRAFT_API
#include "testutil.h"

static void check (int curve, int enforce)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    char spub[41], ssec[41], cpub[41], csec[41];
    CHECK_RC (zmq_curve_keypair (spub, ssec));
    CHECK_RC (zmq_curve_keypair (cpub, csec));
    void *server = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (server, ZMQ_LINGER, 0);
    if (curve) {
        SET_INT (server, ZMQ_CURVE_SERVER, 1);
        CHECK_RC (zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, ssec, 40));
    }
    CHECK_RC (zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "d", 1));
    SET_INT (server, ZMQ_ZAP_ENFORCE_DOMAIN, enforce);
    CHECK_EQ (GET_INT (server, ZMQ_ZAP_ENFORCE_DOMAIN), enforce);
    void *smon = MONITOR (ctx, server, "inproc://enforce",
                          ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    void *client = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (client, ZMQ_LINGER, 0);
    if (curve) {
        CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_SERVERKEY, spub, 40));
        CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_PUBLICKEY, cpub, 40));
        CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_SECRETKEY, csec, 40));
    }
    CHECK_RC (zmq_connect (client, endpoint));
    zmq_send (client, "knock", 5, ZMQ_DONTWAIT);
    if (enforce) {
        int value = 0;
        CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &value,
                            5000));
        CHECK_EQ (value, EFAULT);
        EXPECT_NOTHING (server, 300);
    } else
        RECV_STR (server, "knock", 0);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (30);
    check (0, 1);
    check (0, 0);
    check (1, 1);
    check (1, 0);
    return 0;
}
