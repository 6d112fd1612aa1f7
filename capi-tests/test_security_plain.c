/*  PLAIN (RFC 24): options and their read-back, good credentials through a
    ZAP handler (User-Id and metadata on every message), a wrong password, a
    PLAIN server without a handler, and mechanism mismatches. */
#include "testutil.h"

static const unsigned char zap_meta[] = "\x04Role\0\0\0\x05" "admin";

static void bind_any (void *s, char *endpoint, size_t len)
{
    CHECK_RC (zmq_bind (s, "tcp://127.0.0.1:*"));
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len));
}

static void *plain_server (void *ctx, int type)
{
    void *s = SOCKET (ctx, type);
    SET_INT (s, ZMQ_LINGER, 0);
    SET_INT (s, ZMQ_PLAIN_SERVER, 1);
    CHECK_RC (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "plain", 5));
    return s;
}

static void *plain_client (void *ctx, int type, const char *user,
                           const char *pass)
{
    void *s = SOCKET (ctx, type);
    SET_INT (s, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, user, strlen (user)));
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, pass, strlen (pass)));
    return s;
}

static void test_options (void *ctx)
{
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    char buf[300];
    size_t len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_PLAIN_USERNAME, buf, &len));
    CHECK_EQ (len, 1);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "admin", 5));
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    CHECK_EQ (GET_INT (s, ZMQ_PLAIN_SERVER), 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, "secret", 6));
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_PLAIN_USERNAME, buf, &len));
    CHECK_EQ (len, 6);
    CHECK_STR (buf, "admin");
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_PLAIN_PASSWORD, buf, &len));
    CHECK_STR (buf, "secret");
    /*  Empty or too long: refused; NULL with length 0 resets the mechanism. */
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "", 0), EINVAL);
    memset (buf, 'u', 256);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, buf, 256), EINVAL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, NULL, 0));
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_NULL);
    SET_INT (s, ZMQ_PLAIN_SERVER, 1);
    CHECK_EQ (GET_INT (s, ZMQ_PLAIN_SERVER), 1);
    CHECK_EQ (GET_INT (s, ZMQ_MECHANISM), ZMQ_PLAIN);
    /*  A user name makes the socket a client again. */
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "admin", 5));
    CHECK_EQ (GET_INT (s, ZMQ_PLAIN_SERVER), 0);
    const int two = 2;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_SERVER, &two, sizeof two), EINVAL);
    CHECK_RC (zmq_close (s));
}

static void test_good (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.plain_user = "admin";
    zap.plain_pass = "secret";
    zap.user_id = "admin";
    zap.metadata = zap_meta;
    zap.metadata_len = sizeof zap_meta - 1;
    zap_handler_start (&zap);
    void *server = plain_server (ctx, ZMQ_REP);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = plain_client (ctx, ZMQ_REQ, "admin", "secret");
    CHECK_RC (zmq_connect (client, endpoint));
    for (int i = 0; i < 3; i++) {
        SEND_STR (client, "ping", 0);
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        CHECK_EQ (zmq_msg_recv (&msg, server, 0), 4);
        CHECK_STR (zmq_msg_gets (&msg, "User-Id"), "admin");
        CHECK_STR (zmq_msg_gets (&msg, "Role"), "admin");
        CHECK_STR (zmq_msg_gets (&msg, "Peer-Address"), "127.0.0.1");
        zmq_msg_close (&msg);
        SEND_STR (server, "pong", 0);
        RECV_STR (client, "pong", 0);
    }
    CHECK_STR (zap.mechanism, "PLAIN");
    CHECK_STR (zap.domain, "plain");
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_wrong_password (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.plain_user = "admin";
    zap.plain_pass = "secret";
    zap_handler_start (&zap);
    void *server = plain_server (ctx, ZMQ_DEALER);
    void *smon = MONITOR (ctx, server, "inproc://plain-wrong-s",
                          ZMQ_EVENT_ALL);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = plain_client (ctx, ZMQ_DEALER, "admin", "guess");
    void *cmon = MONITOR (ctx, client, "inproc://plain-wrong-c",
                          ZMQ_EVENT_ALL);
    CHECK_RC (zmq_connect (client, endpoint));
    /*  May fail: a refused client loses its pipe, perhaps already. */
    zmq_send (client, "intruder", 8, ZMQ_DONTWAIT);
    int value = 0;
    CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &value, 5000));
    CHECK_EQ (value, 400);
    CHECK (await_event (cmon, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH, &value, 5000));
    CHECK_EQ (value, 400);
    EXPECT_NOTHING (server, 300);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (cmon));
    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A PLAIN server cannot check a password without a handler: it refuses. */
static void test_no_handler (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *server = plain_server (ctx, ZMQ_DEALER);
    void *smon = MONITOR (ctx, server, "inproc://plain-nohandler",
                          ZMQ_EVENT_ALL);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = plain_client (ctx, ZMQ_DEALER, "admin", "secret");
    CHECK_RC (zmq_connect (client, endpoint));
    zmq_send (client, "anyone?", 7, ZMQ_DONTWAIT);
    int value = 0;
    CHECK (await_event (smon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &value,
                        5000));
    CHECK_EQ (value, EFAULT);
    EXPECT_NOTHING (server, 300);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A NULL client, or a second server, gets nothing through. */
static void test_mismatch (void)
{
    /*  A context each: libzmq may still reach a ZAP handler unbound in
        another test. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.plain_user = "admin";
    zap.plain_pass = "secret";
    zap_handler_start (&zap);
    void *server = plain_server (ctx, ZMQ_DEALER);
    char endpoint[64];
    bind_any (server, endpoint, sizeof endpoint);
    void *client = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (client, ZMQ_LINGER, 0);
    /*  The client sees the whole greeting of the server (libzmq's server may
        close before it has read the client's). */
    void *cmon = MONITOR (ctx, client, "inproc://plain-mismatch",
                          ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK_RC (zmq_connect (client, endpoint));
    zmq_send (client, "null", 4, ZMQ_DONTWAIT);
    int value = 0;
    CHECK (await_event (cmon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &value,
                        5000));
    CHECK_EQ (value, ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH);
    EXPECT_NOTHING (server, 300);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (cmon));

    /*  Both servers: each waits for the other's HELLO (libzmq until the
        handshake times out; this library refuses at once). */
    client = plain_server (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_connect (client, endpoint));
    zmq_send (client, "server", 6, ZMQ_DONTWAIT);
    EXPECT_NOTHING (server, 500);
    EXPECT_NOTHING (client, 100);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (40);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_options (ctx);
    test_good ();
    test_wrong_password ();
    test_mismatch ();
    CHECK_RC (zmq_ctx_term (ctx));
    test_no_handler ();
    return 0;
}
