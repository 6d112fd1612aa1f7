/*  Hostile peers against a CURVE server with a ZAP handler: connections that
    send garbage in place of HELLO, stall after the greeting, or send data
    before authenticating neither keep an authenticated client from being
    served nor make the server's memory grow with their number. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static char server_public[41], server_secret[41];
static char client_public[41], client_secret[41];

static int raw_connect (int port)
{
    const int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons ((uint16_t) port);
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (connect (fd, (struct sockaddr *) &a, sizeof a) == 0);
    return fd;
}

/*  A CURVE client's greeting, then (kind 0) a HELLO that does not open,
    (kind 1) nothing more, (kind 2) a data frame in place of HELLO. */
static void hostile (int fd, int kind)
{
    unsigned char g[64] = {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1};
    memcpy (g + 12, "CURVE", 5);
    CHECK (send (fd, g, sizeof g, MSG_NOSIGNAL) == (ssize_t) sizeof g);
    if (kind == 1)
        return;
    unsigned char frame[202] = {kind == 0 ? 0x04 : 0x00, 200};
    memcpy (frame + 2, kind == 0 ? "\x05HELLO\x01\x00" : "payload!", 8);
    for (int i = 10; i < 202; i++)
        frame[i] = (unsigned char) (i * 37);
    send (fd, frame, sizeof frame, MSG_NOSIGNAL);
}

static long rss_kib (void)
{
    FILE *f = fopen ("/proc/self/status", "r");
    CHECK (f != NULL);
    char line[256];
    long kib = -1;
    while (fgets (line, sizeof line, f))
        if (strncmp (line, "VmRSS:", 6) == 0)
            kib = atol (line + 6);
    fclose (f);
    return kib;
}

int main (void)
{
    TEST_TIMEOUT (50);
    CHECK_RC (zmq_curve_keypair (server_public, server_secret));
    CHECK_RC (zmq_curve_keypair (client_public, client_secret));
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    zap_handler_t zap = {0};
    zap.ctx = ctx;
    zap.curve_key = client_public;
    zap_handler_start (&zap);

    void *server = SOCKET (ctx, ZMQ_REP);
    SET_INT (server, ZMQ_LINGER, 0);
    SET_INT (server, ZMQ_CURVE_SERVER, 1);
    CHECK_RC (zmq_setsockopt (server, ZMQ_CURVE_SECRETKEY, server_secret, 40));
    CHECK_RC (zmq_setsockopt (server, ZMQ_ZAP_DOMAIN, "flood", 5));
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    const int port = atoi (strrchr (endpoint, ':') + 1);

    void *client = SOCKET (ctx, ZMQ_REQ);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_SERVERKEY, server_public, 40));
    CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_PUBLICKEY, client_public, 40));
    CHECK_RC (zmq_setsockopt (client, ZMQ_CURVE_SECRETKEY, client_secret, 40));
    CHECK_RC (zmq_connect (client, endpoint));
    SEND_STR (client, "warm-up", 0);
    RECV_STR (server, "warm-up", 0);
    SEND_STR (server, "ok", 0);
    RECV_STR (client, "ok", 0);

    /*  Stalled and hostile connections stay open while the client is served. */
    enum { HELD = 150 };
    int held[HELD];
    for (int i = 0; i < HELD; i++) {
        held[i] = raw_connect (port);
        hostile (held[i], i % 3);
    }
    for (int i = 0; i < 200; i++) {
        char req[32];
        snprintf (req, sizeof req, "request %d", i);
        SEND_STR (client, req, 0);
        RECV_STR (server, req, 0);
        SEND_STR (server, "reply", 0);
        RECV_STR (client, "reply", 0);
    }
    for (int i = 0; i < HELD; i++)
        close (held[i]);

    /*  Many short hostile connections: memory does not grow with their
        number (the server drops each; what it kept per connection would add
        up to far more than the allowance below). */
    const long before = rss_kib ();
    for (int round = 0; round < 3000; round++) {
        const int fd = raw_connect (port);
        hostile (fd, round % 3 == 1 ? 0 : round % 3);
        close (fd);
        if (round % 500 == 0) {
            SEND_STR (client, "still there?", 0);
            RECV_STR (server, "still there?", 0);
            SEND_STR (server, "yes", 0);
            RECV_STR (client, "yes", 0);
        }
    }
    msleep (300);
    SEND_STR (client, "last", 0);
    RECV_STR (server, "last", 0);
    const long growth = rss_kib () - before;
    if (growth > 48 * 1024) {
        fprintf (stderr, "RSS grew by %ld KiB over 3000 hostile connections\n",
                 growth);
        return 1;
    }
    /*  None of them got a message through. */
    EXPECT_NOTHING (server, 100);

    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    zap_handler_stop (&zap);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
