/*  ZAP (RFC 27) with the NULL mechanism: a socket with ZMQ_ZAP_DOMAIN asks the
    handler at inproc://zeromq.zap.01 about every peer. What the handler sees,
    its 200/300/400/500 answers and malformed replies, with the monitor events
    of both sides; older peers refused; no handler means no check. */
#include "testutil.h"

static void bind_any (void *s, char *endpoint, size_t len)
{
    CHECK_RC (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

/*  A NULL server with a ZAP domain and a client; the handler answers `status`
    (spoiled by `fault`). Checks the events each side reports. */
static void scenario (const char *status, int fault, int delivered,
                      int server_event, int server_value, int client_event,
                      int client_value)
{
    /*  A context each: libzmq may still reach a handler just unbound. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.status = status;
    zap.reply_fault = fault;
    zap.user_id = "anonymous";
    zap_handler_start (&zap);

    void *server = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "global", 6));
    CHECK_RC (zmq_setsockopt (server, ZMQ_ROUTING_ID, "IDENT", 5));
    static int round = 0;
    char smon_ep[64], cmon_ep[64];
    snprintf (smon_ep, sizeof smon_ep, "inproc://zap-server-%d", round);
    snprintf (cmon_ep, sizeof cmon_ep, "inproc://zap-client-%d", round++);
    void *smon = MONITOR (ctx, server, smon_ep,
                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (client, ZMQ_LINGER, 0);
    void *cmon = MONITOR (ctx, client, cmon_ep,
                          ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK_RC (zmq_connect (client, endpoint));
    /*  A refused client loses its pipe, perhaps before this send. */
    const int sent = zmq_send (client, "hello", 5, ZMQ_DONTWAIT);
    if (delivered)
        CHECK_EQ (sent, 5);

    int value = -1;
    CHECK (await_event (smon, server_event, &value, 5000));
    CHECK_EQ (value, server_value);
    if (client_event) {
        CHECK (await_event (cmon, client_event, &value, 5000));
        CHECK_EQ (value, client_value);
    }
    if (delivered) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        CHECK_EQ (zmq_msg_recv (&msg, server, 0), 5);
        CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "anonymous");
        zmq_msg_close (&msg);
    } else
        EXPECT_NOTHING (server, 300);
    CHECK (zap.requests >= 1);
    CHECK_STR (zap.mechanism, "NULL");
    CHECK_STR (zap.domain, "global");
    CHECK_STR (zap.address, "127.0.0.1");
    CHECK_STR (zap.routing_id, "IDENT");

    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (cmon));
    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A ZMTP 2.0 peer (a raw tcp connection sending a 2.0 greeting) is dropped
    by a socket with a ZAP domain, and accepted by one without. */
static void test_old_peer (void *ctx, int with_domain)
{
    void *server = SOCKET (ctx, ZMQ_PULL);
    SET_INT (server, ZMQ_LINGER, 0);
    if (with_domain)
        CHECK_RC (zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "global", 6));
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *raw = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (raw, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (raw, endpoint));
    /*  The connection's routing id comes with its (empty) connect notice. */
    unsigned char id[256];
    const int id_len = CHECK_RC (zmq_recv (raw, id, sizeof id, 0));
    CHECK (RCVMORE (raw));
    RECV_STR (raw, "", 0);
    /*  ZMTP 2.0: signature, revision 1, socket type PUSH (8), empty
        identity frame, then a message frame "hi". */
    const unsigned char greeting[] = {0xFF, 0, 0, 0, 0,    0,   0,  0,
                                      1,    0x7F, 1, 8, 0, 0, 0, 2, 'h', 'i'};
    CHECK_RC (zmq_send (raw, id, (size_t) id_len, ZMQ_SNDMORE));
    CHECK_RC (zmq_send (raw, greeting, sizeof greeting, 0));
    if (with_domain)
        EXPECT_NOTHING (server, 500);
    else
        RECV_STR (server, "hi", 0);
    CHECK_RC (zmq_close (raw));
    CHECK_RC (zmq_close (server));
}

/*  Without a handler the domain checks nothing. */
static void test_no_handler (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *server = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "global", 6));
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (client, endpoint));
    SEND_STR (client, "free", 0);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    CHECK_EQ (zmq_msg_recv (&msg, server, 0), 4);
    /*  No ZAP, no User-Id. */
    CHECK (zmq_msg_gets (&msg, "User-Id") == NULL);
    CHECK_EQ (errno, EINVAL);
    zmq_msg_close (&msg);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_options (void *ctx)
{
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    char buf[300];
    size_t len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len));
    CHECK_EQ (len, 1);
    CHECK_STR (buf, "");
    CHECK_RC (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "global", 6));
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_ZAP_DOMAIN, buf, &len));
    CHECK_EQ (len, 7);
    CHECK_STR (buf, "global");
    memset (buf, 'x', 256);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, buf, 256), EINVAL);
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_RC (zmq_close (s));
}

int main (void)
{
    TEST_TIMEOUT (50);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_options (ctx);
    /*  Allowed. */
    scenario ("200", 0, 1, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0,
              ZMQ_EVENT_HANDSHAKE_SUCCEEDED, 0);
    /*  Refused: the client is told. */
    scenario ("400", 0, 0, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400,
              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 400);
    scenario ("500", 0, 0, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 500,
              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 500);
    /*  Temporary failure: the client is not told. */
    scenario ("300", 0, 0, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, 300, 0, 0);
    /*  Malformed replies. */
    scenario ("200", 1, 0, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
              ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION, 0, 0);
    scenario ("200", 2, 0, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
              ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID, 0, 0);
    scenario ("200", 3, 0, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
              ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE, 0, 0);
    scenario ("200", 4, 0, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
              ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY, 0, 0);
    test_old_peer (ctx, 1);
    test_old_peer (ctx, 0);
    CHECK_RC (zmq_ctx_term (ctx));
    test_no_handler ();
    return 0;
}
