// The wss:// transport: WebSocket over TLS with the ZMQ_WSS_* options.
// Certificates are made for the run with openssl (a test CA, a server
// certificate it signs for localhost and 127.0.0.1, and an unrelated CA):
// REQ/REP and PUB/SUB over wss, then handshakes that must fail (an untrusted
// certificate, a name it does not carry, no trust at all, the system store
// alone) with a monitor event and nothing delivered, and options refused.
// libzmq: skip Debian's libzmq 4.3.4 is built without wss (no GnuTLS): binds answer EPROTONOSUPPORT
#define ZMQ_BUILD_DRAFT_API
#include "testutil.h"

static char dir[64];
static char ca_pem[8192], other_ca_pem[8192], cert_pem[8192], key_pem[8192];

static void read_file (const char *name, char *buf, size_t cap)
{
    char path[128];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "rb");
    CHECK (f != NULL);
    const size_t n = fread (buf, 1, cap - 1, f);
    fclose (f);
    CHECK (n > 0);
    buf[n] = 0;
}

static void make_certificates (void)
{
    strcpy (dir, "/tmp/zmq-wss-XXXXXX");
    CHECK (mkdtemp (dir) != NULL);
    char cmd[2048];
    snprintf (
      cmd, sizeof cmd,
      "cd %s && "
      "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n"
      "basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext && "
      "for ca in ca other; do openssl req -x509 -newkey ec "
      "-pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $ca.key -out $ca.pem "
      "-days 2 -subj /CN=test-$ca -addext basicConstraints=critical,CA:TRUE "
      "-addext keyUsage=critical,keyCertSign || exit 1; done && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout server.key -out server.csr -subj /CN=localhost && "
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
      "-CAcreateserial -out server.pem -days 2 -extfile ext",
      dir);
    char quiet[2200];
    snprintf (quiet, sizeof quiet, "(%s) >/dev/null 2>&1", cmd);
    CHECK (system (quiet) == 0);
    read_file ("ca.pem", ca_pem, sizeof ca_pem);
    read_file ("other.pem", other_ca_pem, sizeof other_ca_pem);
    read_file ("server.pem", cert_pem, sizeof cert_pem);
    read_file ("server.key", key_pem, sizeof key_pem);
    char rm[128];
    snprintf (rm, sizeof rm, "rm -rf %s", dir);
    CHECK (system (rm) == 0);
}

static void *server (void *ctx, int type, char *ep, size_t cap, const char *path)
{
    void *s = SOCKET (ctx, type);
    CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_CERT_PEM, cert_pem, strlen (cert_pem)));
    CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_KEY_PEM, key_pem, strlen (key_pem)));
    char spec[64];
    snprintf (spec, sizeof spec, "wss://127.0.0.1:*%s", path);
    CHECK_RC (zmq_bind (s, spec));
    size_t len = cap;
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    CHECK (strncmp (ep, "wss://127.0.0.1:", 16) == 0);
    return s;
}

static void *client (void *ctx, int type, const char *trust, const char *host)
{
    void *s = SOCKET (ctx, type);
    if (trust)
        CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_TRUST_PEM, trust, strlen (trust)));
    if (host)
        CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_HOSTNAME, host, strlen (host)));
    return s;
}

static void test_reqrep (void *ctx)
{
    char ep[256];
    void *rep = server (ctx, ZMQ_REP, ep, sizeof ep, "/rr");
    //  Named by ZMQ_WSS_HOSTNAME, and by the address connected to.
    const char *hosts[] = {"localhost", NULL};
    for (int h = 0; h < 2; h++) {
        void *req = client (ctx, ZMQ_REQ, ca_pem, hosts[h]);
        CHECK_RC (zmq_connect (req, ep));
        for (int i = 0; i < 3; i++) {
            SEND_STR (req, "over tls", ZMQ_SNDMORE);
            SEND_STR (req, "two parts", 0);
            RECV_STR (rep, "over tls", 0);
            RECV_STR (rep, "two parts", 0);
            SEND_STR (rep, "ok", 0);
            RECV_STR (req, "ok", 0);
        }
        const size_t n = 1000000;
        zmq_msg_t m;
        CHECK_RC (zmq_msg_init_size (&m, n));
        memset (zmq_msg_data (&m), 'z', n);
        CHECK (zmq_msg_send (&m, req, 0) == (int) n);
        CHECK_RC (zmq_msg_init (&m));
        CHECK (zmq_msg_recv (&m, rep, 0) == (int) n);
        CHECK (((char *) zmq_msg_data (&m))[n - 1] == 'z');
        CHECK_RC (zmq_msg_close (&m));
        SEND_STR (rep, "big ok", 0);
        RECV_STR (req, "big ok", 0);
        CHECK_RC (zmq_close (req));
    }
    CHECK_RC (zmq_close (rep));
}

static void test_pubsub (void *ctx)
{
    char ep[256];
    void *pub = server (ctx, ZMQ_PUB, ep, sizeof ep, "/ps");
    void *sub = client (ctx, ZMQ_SUB, ca_pem, "localhost");
    CHECK_RC (zmq_connect (sub, ep));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "a", 1));
    int got = 0;
    for (int i = 0; i < 500 && !got; i++) {
        SEND_STR (pub, "b-no", 0);
        SEND_STR (pub, "a-yes", 0);
        char buf[16];
        const int n = zmq_recv (sub, buf, sizeof buf, ZMQ_DONTWAIT);
        if (n >= 0) {
            CHECK (n == 5 && memcmp (buf, "a-yes", 5) == 0);
            got = 1;
        } else
            msleep (10);
    }
    CHECK (got);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (pub));
}

/*  A client that must not accept the server: its handshake fails with a
    monitor event, it keeps retrying, and nothing it sends is delivered. */
static void expect_refused (void *ctx, const char *trust, const char *host,
                            int trust_system)
{
    char ep[256];
    void *rep = server (ctx, ZMQ_REP, ep, sizeof ep, "/no");
    void *req = client (ctx, ZMQ_REQ, trust, host);
    if (trust_system)
        SET_INT (req, ZMQ_WSS_TRUST_SYSTEM, 1);
    SET_INT (req, ZMQ_RECONNECT_IVL, 50);
    SET_INT (req, ZMQ_LINGER, 0);
    static int round;
    char mon_ep[64];
    snprintf (mon_ep, sizeof mon_ep, "inproc://wss-refused-%d", round);
    void *mon = MONITOR (ctx, req, mon_ep, ZMQ_EVENT_ALL);
    //  The server hears of the failed connection too: accepted, then failed.
    snprintf (mon_ep, sizeof mon_ep, "inproc://wss-refused-srv-%d", round++);
    void *srv_mon =
      MONITOR (ctx, rep, mon_ep,
               ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED);
    CHECK_RC (zmq_connect (req, ep));
    int value = 0;
    CHECK (await_event (mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, &value, 3000));
    CHECK (value == EPROTO);
    int srv_value = 0;
    CHECK (monitor_event (srv_mon, &srv_value, 3000) == ZMQ_EVENT_ACCEPTED);
    const int failed = monitor_event (srv_mon, &srv_value, 3000);
    CHECK (failed == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
           || failed == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
    CHECK (monitor_event (srv_mon, &srv_value, 3000) == ZMQ_EVENT_DISCONNECTED);
    CHECK_RC (zmq_close (srv_mon));
    //  It tries again (and fails again).
    CHECK (await_event (mon, ZMQ_EVENT_CONNECT_RETRIED, NULL, 3000));
    CHECK (await_event (mon, ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL, NULL, 3000));
    SEND_STR (req, "must not arrive", 0);
    EXPECT_NOTHING (rep, 300);
    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

static void test_refused (void *ctx)
{
    expect_refused (ctx, other_ca_pem, "localhost", 0); //  untrusted issuer
    expect_refused (ctx, ca_pem, "example.org", 0);     //  wrong name
    expect_refused (ctx, NULL, "localhost", 0);         //  no trust at all
    expect_refused (ctx, NULL, "localhost", 1);         //  the system's store
}

static void test_options (void *ctx)
{
    void *s = SOCKET (ctx, ZMQ_REP);
    //  A server needs its certificate and key.
    CHECK_ERR (zmq_bind (s, "wss://127.0.0.1:*"), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_WSS_CERT_PEM, "junk", 4), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_WSS_KEY_PEM, "junk", 4), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_WSS_TRUST_PEM, "junk", 4), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_WSS_HOSTNAME, "no such name!", 13), EINVAL);
    const int two = 2;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_WSS_TRUST_SYSTEM, &two, sizeof two), EINVAL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_CERT_PEM, cert_pem, strlen (cert_pem)));
    CHECK_RC (zmq_setsockopt (s, ZMQ_WSS_KEY_PEM, key_pem, strlen (key_pem)));
    CHECK_RC (zmq_bind (s, "wss://127.0.0.1:*/ok"));
    //  A ws client does not get through to a wss port, nor the reverse.
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    char plain[256];
    snprintf (plain, sizeof plain, "ws://%s", ep + 6);
    void *c = SOCKET (ctx, ZMQ_REQ);
    SET_INT (c, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (c, plain));
    SEND_STR (c, "plain", 0);
    EXPECT_NOTHING (s, 300);
    CHECK_RC (zmq_close (c));
    CHECK_RC (zmq_close (s));
}

int main (void)
{
    TEST_TIMEOUT (60);
    make_certificates ();
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_reqrep (ctx);
    test_pubsub (ctx);
    test_refused (ctx);
    test_options (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
