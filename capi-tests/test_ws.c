// The ws:// transport (ZWS 2.0, RFC 45): REQ/REP, PUB/SUB, DEALER/ROUTER over
// WebSocket, wildcard ports and ZMQ_LAST_ENDPOINT (with the path), large and
// multipart messages, monitor events, reconnects after the binder comes back,
// heartbeats kept alive by WebSocket pings, CURVE and PLAIN (with ZAP) over
// ZWS, and unbind. Every case binds and
// connects with this library's sockets on both ends, so it also runs on the
// real libzmq where that was built with ws.
#include "testutil.h"

/*  Binds `s` at ws://127.0.0.1:*<path> and returns the endpoint to connect to. */
static void bind_ws (void *s, const char *path, char *endpoint, size_t cap)
{
    char spec[128];
    snprintf (spec, sizeof spec, "ws://127.0.0.1:*%s", path);
    CHECK_RC (zmq_bind (s, spec));
    size_t len = cap;
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

static void test_reqrep (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    char ep[256];
    bind_ws (rep, "/reqrep", ep, sizeof ep);
    //  The endpoint names the port the wildcard got, and the path.
    CHECK (strncmp (ep, "ws://127.0.0.1:", 15) == 0);
    CHECK (strcmp (ep + strlen (ep) - 7, "/reqrep") == 0);
    CHECK (atoi (ep + 15) > 0);
    CHECK_RC (zmq_connect (req, ep));
    for (int i = 0; i < 5; i++) {
        SEND_STR (req, "question", 0);
        RECV_STR (rep, "question", 0);
        SEND_STR (rep, "answer", 0);
        RECV_STR (req, "answer", 0);
    }
    //  Multipart, and sizes on each side of WebSocket's length forms
    //  (125, 126, 65535, 65536 bytes) and a large message.
    SEND_STR (req, "a", ZMQ_SNDMORE);
    SEND_STR (req, "", ZMQ_SNDMORE);
    SEND_STR (req, "c", 0);
    RECV_STR (rep, "a", 0);
    CHECK (RCVMORE (rep));
    RECV_STR (rep, "", 0);
    CHECK (RCVMORE (rep));
    RECV_STR (rep, "c", 0);
    CHECK (!RCVMORE (rep));
    SEND_STR (rep, "ok", 0);
    RECV_STR (req, "ok", 0);
    const size_t sizes[] = {124, 125, 126, 254, 255, 256, 65535, 65536, 3000000};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        const size_t n = sizes[k];
        zmq_msg_t m;
        CHECK_RC (zmq_msg_init_size (&m, n));
        unsigned char *d = (unsigned char *) zmq_msg_data (&m);
        for (size_t i = 0; i < n; i++)
            d[i] = (unsigned char) (i * 7 + k);
        CHECK (zmq_msg_send (&m, req, 0) == (int) n);
        CHECK_RC (zmq_msg_init (&m));
        CHECK (zmq_msg_recv (&m, rep, 0) == (int) n);
        d = (unsigned char *) zmq_msg_data (&m);
        for (size_t i = 0; i < n; i++)
            CHECK (d[i] == (unsigned char) (i * 7 + k));
        CHECK_RC (zmq_msg_send (&m, rep, 0));
        CHECK_RC (zmq_msg_init (&m));
        CHECK (zmq_msg_recv (&m, req, 0) == (int) n);
        CHECK_RC (zmq_msg_close (&m));
    }
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

static void test_pubsub (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    char ep[256];
    bind_ws (pub, "/feed", ep, sizeof ep);
    CHECK_RC (zmq_connect (sub, ep));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "news", 4));
    //  Publish until the subscription has arrived.
    int got = 0;
    for (int i = 0; i < 500 && !got; i++) {
        SEND_STR (pub, "sports:x", 0);
        SEND_STR (pub, "news:1", 0);
        char buf[32];
        const int n = zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n > 0) {
            CHECK (n == 6 && memcmp (buf, "news:1", 6) == 0);
            got = 1;
        } else
            msleep (10);
    }
    CHECK (got);
    //  Only what matches arrives.
    SEND_STR (pub, "sports:y", 0);
    SEND_STR (pub, "news:2", ZMQ_SNDMORE);
    SEND_STR (pub, "body", 0);
    char buf[32];
    int n;
    do {
        n = zmq_recv (sub, buf, sizeof buf, 0);
        CHECK (n > 0);
    } while (n == 6 && memcmp (buf, "news:1", 6) == 0);
    CHECK (n == 6 && memcmp (buf, "news:2", 6) == 0);
    RECV_STR (sub, "body", 0);
    //  Unsubscribed, nothing more comes.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "news", 4));
    msleep (100);
    SEND_STR (pub, "news:3", 0);
    EXPECT_NOTHING (sub, 200);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (pub));
}

static void test_dealer_router (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "D1", 2));
    char ep[256];
    bind_ws (router, "/route", ep, sizeof ep);
    CHECK_RC (zmq_connect (dealer, ep));
    SEND_STR (dealer, "hello", ZMQ_SNDMORE);
    SEND_STR (dealer, "world", 0);
    RECV_STR (router, "D1", 0);
    RECV_STR (router, "hello", 0);
    RECV_STR (router, "world", 0);
    SEND_STR (router, "D1", ZMQ_SNDMORE);
    SEND_STR (router, "back", 0);
    RECV_STR (dealer, "back", 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (router));
}

/*  The binder goes away and comes back on the same port: the connecter
    reconnects and messages flow again; monitor events report each step. */
static void test_reconnect_and_events (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_RECONNECT_IVL, 50);
    void *mon = MONITOR (ctx, req, "inproc://ws-req-mon", ZMQ_EVENT_ALL);
    void *bmon = MONITOR (ctx, rep, "inproc://ws-rep-mon", ZMQ_EVENT_ALL);
    char ep[256];
    bind_ws (rep, "/again", ep, sizeof ep);
    CHECK (await_event (bmon, ZMQ_EVENT_LISTENING, NULL, 1000));
    CHECK_RC (zmq_connect (req, ep));
    CHECK (await_event (mon, ZMQ_EVENT_CONNECTED, NULL, 2000));
    CHECK (await_event (mon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, 2000));
    CHECK (await_event (bmon, ZMQ_EVENT_ACCEPTED, NULL, 2000));
    CHECK (await_event (bmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED, NULL, 2000));
    SEND_STR (req, "one", 0);
    RECV_STR (rep, "one", 0);
    SEND_STR (rep, "1", 0);
    RECV_STR (req, "1", 0);

    CHECK_RC (zmq_unbind (rep, ep));
    CHECK (await_event (bmon, ZMQ_EVENT_CLOSED, NULL, 2000));
    CHECK_RC (zmq_close (rep));
    CHECK (await_event (mon, ZMQ_EVENT_DISCONNECTED, NULL, 2000));
    //  The request sent meanwhile waits for the next connection.
    SEND_STR (req, "two", 0);
    rep = SOCKET (ctx, ZMQ_REP);
    int bound = 0;
    for (int i = 0; i < 100 && !bound; i++) {
        bound = zmq_bind (rep, ep) == 0;
        if (!bound)
            msleep (20);
    }
    CHECK (bound);
    RECV_STR (rep, "two", 0);
    SEND_STR (rep, "2", 0);
    RECV_STR (req, "2", 0);
    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (bmon));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

/*  Heartbeats over an idle connection: pings are answered, so the
    connection stays up well beyond the heartbeat timeout. */
static void test_heartbeats (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_HEARTBEAT_IVL, 50);
    SET_INT (req, ZMQ_HEARTBEAT_TIMEOUT, 200);
    void *mon = MONITOR (ctx, req, "inproc://ws-hb-mon", ZMQ_EVENT_DISCONNECTED);
    char ep[256];
    bind_ws (rep, "/hb", ep, sizeof ep);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "up", 0);
    RECV_STR (rep, "up", 0);
    SEND_STR (rep, "yes", 0);
    RECV_STR (req, "yes", 0);
    //  Idle for many heartbeat timeouts: no disconnect.
    CHECK (!await_event (mon, ZMQ_EVENT_DISCONNECTED, NULL, 1000));
    SEND_STR (req, "still", 0);
    RECV_STR (rep, "still", 0);
    SEND_STR (rep, "here", 0);
    RECV_STR (req, "here", 0);
    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

/*  The mechanisms over ZWS (ZWS2.0/CURVE, ZWS2.0/PLAIN with a ZAP handler),
    in a context of their own, and the metadata the handshake carries. */
static void test_mechanisms (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.plain_user = "user";
    zap.plain_pass = "pass";
    zap_handler_start (&zap);

    char server_public[41], server_secret[41], public_key[41], secret_key[41];
    CHECK_RC (zmq_curve_keypair (server_public, server_secret));
    CHECK_RC (zmq_curve_keypair (public_key, secret_key));
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_CURVE_SERVER, 1);
    CHECK_RC (zmq_setsockopt (rep, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    char ep[256];
    bind_ws (rep, "/curve", ep, sizeof ep);
    void *req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_setsockopt (req, ZMQ_CURVE_SERVERKEY, server_public, 40));
    CHECK_RC (zmq_setsockopt (req, ZMQ_CURVE_PUBLICKEY, public_key, 40));
    CHECK_RC (zmq_setsockopt (req, ZMQ_CURVE_SECRETKEY, secret_key, 40));
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "sealed", ZMQ_SNDMORE);
    SEND_STR (req, "twice", 0);
    RECV_STR (rep, "sealed", 0);
    RECV_STR (rep, "twice", 0);
    SEND_STR (rep, "opened", 0);
    RECV_STR (req, "opened", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));

    rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_PLAIN_SERVER, 1);
    bind_ws (rep, "/plain", ep, sizeof ep);
    req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_setsockopt (req, ZMQ_PLAIN_USERNAME, "user", 4));
    CHECK_RC (zmq_setsockopt (req, ZMQ_PLAIN_PASSWORD, "pass", 4));
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "who", 0);
    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init (&msg));
    CHECK_EQ (zmq_msg_recv (&msg, rep, 0), 3);
    CHECK_STR (zmq_msg_gets (&msg, "Socket-Type"), "REQ");
    CHECK_RC (zmq_msg_close (&msg));
    SEND_STR (rep, "you", 0);
    RECV_STR (req, "you", 0);
    CHECK_STR (zap.mechanism, "PLAIN");
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Endpoint forms: wildcard host, refused connects, the path kept in
    ZMQ_LAST_ENDPOINT, "/" when there is none. */
static void test_endpoints (void *ctx)
{
    void *s = SOCKET (ctx, ZMQ_PAIR);
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_bind (s, "ws://127.0.0.1:*"));
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK (strncmp (ep, "ws://127.0.0.1:", 15) == 0);
    CHECK (ep[strlen (ep) - 1] == '/');
    CHECK_RC (zmq_unbind (s, ep));
    len = sizeof ep;
    CHECK_RC (zmq_bind (s, "ws://*:*/x"));
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK (strncmp (ep, "ws://0.0.0.0:", 13) == 0);
    CHECK_RC (zmq_unbind (s, ep));
    CHECK_ERR (zmq_bind (s, "ws://127.0.0.1"), EINVAL);
    CHECK_ERR (zmq_connect (s, "ws://*:5555/a"), EINVAL);
    CHECK_ERR (zmq_connect (s, "ws://127.0.0.1:*/a"), EINVAL);
    CHECK_RC (zmq_close (s));
}

int main (void)
{
    TEST_TIMEOUT (60);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_reqrep (ctx);
    test_pubsub (ctx);
    test_dealer_router (ctx);
    test_reconnect_and_events (ctx);
    test_heartbeats (ctx);
    test_endpoints (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    test_mechanisms ();
    return 0;
}
