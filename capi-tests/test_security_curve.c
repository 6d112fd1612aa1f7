/*  CURVE (RFC 26) with ZAP: key functions, options and their read-back,
    REQ/REP and PUB/SUB over tcp with the client's key checked by a ZAP
    handler, User-Id and the handler's metadata on every message, refusals
    and their monitor events, wrong keys, a CURVE server without a handler,
    and mechanism mismatches. */
#include "testutil.h"

static char server_public[41], server_secret[41];
static char client_public[41], client_secret[41];

static const unsigned char zap_meta[] = "\x05Hello\0\0\0\x05World";

static void *curve_server (void *ctx, int type, const char *domain)
{
    void *s = SOCKET (ctx, type);
    SET_INT (s, ZMQ_LINGER, 0);
    SET_INT (s, ZMQ_CURVE_SERVER, 1);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    if (domain)
        CHECK_RC (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, domain, strlen (domain)));
    return s;
}

static void *curve_client (void *ctx, int type, const char *server_key,
                           const char *pub, const char *sec)
{
    void *s = SOCKET (ctx, type);
    SET_INT (s, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, server_key, 41));
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, pub, 41));
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, sec, 41));
    return s;
}

static void bind_any (void *s, char *endpoint, size_t len)
{
    CHECK_RC (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

static void test_keys (void)
{
    CHECK_EQ (zmq_has ("curve"), 1);
    CHECK_RC (zmq_curve_keypair (server_public, server_secret));
    CHECK_RC (zmq_curve_keypair (client_public, client_secret));
    CHECK_EQ (strlen (server_public), 40);
    CHECK (strcmp (server_public, client_public) != 0);
    char derived[41];
    CHECK_RC (zmq_curve_public (derived, server_secret));
    CHECK_STR (derived, server_public);
    /*  Bad secret keys. */
    CHECK_ERR (zmq_curve_public (derived, "tooshort"), EINVAL);
}

static void test_options (void *ctx)
{
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_NULL);
    CHECK_EQ (GET_INT (s, ZMQ_CURVE_SERVER), 0);
    /*  32 raw bytes or 40 Z85 characters (with or without the NUL). */
    unsigned char raw[32];
    CHECK (zmq_z85_decode (raw, server_public) != NULL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, raw, 32));
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_CURVE);
    char text[41];
    size_t len = sizeof text;
    CHECK_RC (zmq_getsockopt (s, ZMQ_CURVE_SERVERKEY, text, &len));
    CHECK_EQ (len, 41);
    CHECK_STR (text, server_public);
    unsigned char back[32];
    len = sizeof back;
    CHECK_RC (zmq_getsockopt (s, ZMQ_CURVE_SERVERKEY, back, &len));
    CHECK_EQ (len, 32);
    CHECK (memcmp (back, raw, 32) == 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, client_secret, 40));
    len = sizeof text;
    CHECK_RC (zmq_getsockopt (s, ZMQ_CURVE_SECRETKEY, text, &len));
    CHECK_STR (text, client_secret);
    /*  Wrong sizes and bad text. */
    CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, raw, 31), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, "short", 5), EINVAL);
    char bad[41];
    memcpy (bad, client_public, 41);
    bad[3] = ' ';
    CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, bad, 40), EINVAL);
    len = 33;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_CURVE_PUBLICKEY, text, &len), EINVAL);
    /*  CURVE_SERVER makes the socket a server; SERVERKEY makes it a client. */
    SET_INT (s, ZMQ_CURVE_SERVER, 1);
    CHECK_EQ (GET_INT (s, ZMQ_CURVE_SERVER), 1);
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_CURVE);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, raw, 32));
    CHECK_EQ (GET_INT (s, ZMQ_CURVE_SERVER), 0);
    SET_INT (s, ZMQ_CURVE_SERVER, 0);
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_NULL);
    const int two = 2;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &two, sizeof two), EINVAL);
    CHECK_RC (zmq_close (s));
}

/*  REQ/REP: the handler sees the client's key; every message carries User-Id
    and the handler's metadata. */
static void test_reqrep (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.curve_key = client_public;
    zap.user_id = "alice";
    zap.metadata = zap_meta;
    zap.metadata_len = sizeof zap_meta - 1;
    zap_handler_start (&zap);

    void *server = curve_server (ctx, ZMQ_REP, "test");
    CHECK_RC (zmq_setsockopt (server, ZMQ_ROUTING_ID, "srv", 3));
    void *mon = MONITOR (ctx, server, "inproc://curve-reqrep",
                         ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                           | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = curve_client (ctx, ZMQ_REQ, server_public, client_public,
                                 client_secret);
    CHECK_RC (zmq_connect (client, endpoint));

    for (int i = 0; i < 3; i++) {
        CHECK_RC (zmq_send (client, "part1", 5, ZMQ_SNDMORE));
        CHECK_RC (zmq_send (client, "hello", 5, 0));
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        CHECK_EQ (zmq_msg_recv (&msg, server, 0), 5);
        CHECK (memcmp (zmq_msg_data (&msg), "part1", 5) == 0);
        CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "alice");
        CHECK_STR (zmq_msg_gets (&msg, "Hello"), "World");
        CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "REQ");
        CHECK (zmq_msg_more (&msg));
        zmq_msg_close (&msg);
        RECV_STR (server, "hello", 0);
        SEND_STR (server, "world", 0);
        zmq_msg_init (&msg);
        CHECK_EQ (zmq_msg_recv (&msg, client, 0), 5);
        CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "REP");
        zmq_msg_close (&msg);
    }
    int value = -1;
    CHECK (await_event (mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, &value, 2000));
    CHECK_EQ (value, 0);
    CHECK_STR (zap.mechanism, "CURVE");
    CHECK_STR (zap.domain, "test");
    CHECK_STR (zap.address, "127.0.0.1");
    CHECK_STR (zap.routing_id, "srv");

    /*  A large message (1 MiB) both ways. */
    const size_t big = 1 << 20;
    char *buf = malloc (big);
    CHECK (buf != NULL);
    for (size_t i = 0; i < big; i++)
        buf[i] = (char) (i * 7);
    CHECK_EQ (zmq_send (client, buf, big, 0), (int) big);
    char *got = malloc (big);
    CHECK (got != NULL);
    CHECK_EQ (zmq_recv (server, got, big, 0), (int) big);
    CHECK (memcmp (got, buf, big) == 0);
    CHECK_EQ (zmq_send (server, buf, big, 0), (int) big);
    memset (got, 0, big);
    CHECK_EQ (zmq_recv (client, got, big, 0), (int) big);
    CHECK (memcmp (got, buf, big) == 0);
    free (buf);
    free (got);

    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  PUB/SUB: subscriptions travel inside the boxes too. */
static void test_pubsub (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *pub = curve_server (ctx, ZMQ_PUB, NULL);
    char endpoint[64];
    bind_any (pub, endpoint, sizeof endpoint);
    void *sub = curve_client (ctx, ZMQ_SUB, server_public, client_public,
                              client_secret);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "news", 4));
    CHECK_RC (zmq_connect (sub, endpoint));
    /*  Publish until the subscription has arrived. */
    int got = 0;
    for (int i = 0; i < 500 && !got; i++) {
        SEND_STR (pub, "sport: no", 0);
        SEND_STR (pub, "news: yes", 0);
        char buf[32];
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll (&item, 1, 10) > 0) {
            const int n = zmq_recv (sub, buf, sizeof buf, 0);
            CHECK_EQ (n, 9);
            CHECK (memcmp (buf, "news: yes", 9) == 0);
            got = 1;
        }
    }
    CHECK (got);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Refusals: a key the handler does not know gets nothing through; the client
    hears 400 and stops; the server reports 400. */
static void test_refused (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.curve_key = client_public;
    zap_handler_start (&zap);
    void *server = curve_server (ctx, ZMQ_DEALER, "test");
    void *smon = MONITOR (ctx, server, "inproc://curve-refused-s",
                          ZMQ_EVENT_ALL);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);

    char other_public[41], other_secret[41];
    CHECK_RC (zmq_curve_keypair (other_public, other_secret));
    void *client = curve_client (ctx, ZMQ_DEALER, server_public, other_public,
                                 other_secret);
    void *cmon = MONITOR (ctx, client, "inproc://curve-refused-c",
                          ZMQ_EVENT_ALL);
    CHECK_RC (zmq_connect (client, endpoint));
    /*  May fail: a refused client loses its pipe, perhaps already. */
    zmq_send (client, "let me in", 9, ZMQ_DONTWAIT);
    int value = 0;
    CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &value, 5000));
    CHECK_EQ (value, 400);
    CHECK (await_event (cmon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &value, 5000));
    CHECK_EQ (value, 400);
    EXPECT_NOTHING (server, 200);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (cmon));

    /*  A client with the wrong server key: the server cannot open its HELLO. */
    char wrong_public[41], wrong_secret[41];
    CHECK_RC (zmq_curve_keypair (wrong_public, wrong_secret));
    client = curve_client (ctx, ZMQ_DEALER, wrong_public, client_public,
                           client_secret);
    CHECK_RC (zmq_connect (client, endpoint));
    /*  May fail: a refused client loses its pipe, perhaps already. */
    zmq_send (client, "wrong key", 9, ZMQ_DONTWAIT);
    CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &value,
                        5000));
    CHECK_EQ (value, ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
    EXPECT_NOTHING (server, 200);
    CHECK_RC (zmq_close (client));

    /*  A NULL client: the mechanisms do not match. */
    client = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (client, endpoint));
    /*  May fail: a refused client loses its pipe, perhaps already. */
    zmq_send (client, "no security", 11, ZMQ_DONTWAIT);
    /*  (The client with the wrong key may still be failing: skip its events.) */
    do
        CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &value,
                            5000));
    while (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC);
    CHECK_EQ (value, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    EXPECT_NOTHING (server, 200);
    CHECK_RC (zmq_close (client));

    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Without a handler a CURVE server lets any client with its key in (unless
    the draft ZMQ_ZAP_ENFORCE_DOMAIN is set: test_security_zap_draft). */
static void test_no_handler (void)
{
    /*  A context of its own: libzmq may still find a handler that was just
        unbound in another. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *server = curve_server (ctx, ZMQ_DEALER, "test");
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = curve_client (ctx, ZMQ_DEALER, server_public, client_public,
                                 client_secret);
    CHECK_RC (zmq_connect (client, endpoint));
    SEND_STR (client, "open door", 0);
    RECV_STR (server, "open door", 0);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));

}

int main (void)
{
    TEST_TIMEOUT (50);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_keys ();
    test_options (ctx);
    test_reqrep ();
    test_pubsub ();
    test_refused ();
    test_no_handler ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
