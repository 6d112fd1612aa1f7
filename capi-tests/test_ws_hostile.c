// Hostile peers on raw sockets against ws endpoints: malformed WebSocket
// frames (unmasked from a client, text, reserved bits, a size claimed but
// never sent, a message over ZMQ_MAXMSGSIZE whole or in fragments, control
// frames out of bounds, a continuation of nothing) and bad upgrade requests
// (not HTTP, no Upgrade header, a head that never ends) each close that
// connection only: the socket goes on serving a well-behaved peer. On the
// connect side, a server that answers garbage or a wrong accept key fails
// the handshake with HANDSHAKE_FAILED_PROTOCOL.
// libzmq: skip libzmq 4.3.4 keeps a connection open after some malformed frames (an unmasked client frame, reserved bits) and never checks the accept key
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int port_of (void *s)
{
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len));
    return atoi (strrchr (ep, ':') + 1);
}

static int raw_connect (int port)
{
    const int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons ((uint16_t) port);
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK_RC (connect (fd, (struct sockaddr *) &a, sizeof a));
    struct timeval tv = {3, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void send_all (int fd, const void *data, size_t len)
{
    CHECK (send (fd, data, len, MSG_NOSIGNAL) == (ssize_t) len);
}

/*  Reads the answer's head; returns its status code. */
static int read_head (int fd)
{
    char buf[4096];
    size_t n = 0;
    while (n < sizeof buf - 1) {
        const ssize_t r = recv (fd, buf + n, 1, 0);
        if (r <= 0)
            break;
        n++;
        buf[n] = 0;
        if (n >= 4 && memcmp (buf + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    buf[n] = 0;
    int status = 0;
    if (sscanf (buf, "HTTP/1.1 %d", &status) != 1)
        return 0;
    return status;
}

static int upgrade (int port)
{
    const int fd = raw_connect (port);
    const char *req = "GET /h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Protocol: ZWS2.0\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n";
    send_all (fd, req, strlen (req));
    CHECK (read_head (fd) == 101);
    //  A client's first message is its routing id: an empty one, masked.
    const unsigned char id[] = {0x82, 0x81, 0, 0, 0, 0, 0x00};
    send_all (fd, id, sizeof id);
    return fd;
}

/*  The server closes the connection within a few seconds (what it sent
    before, its routing id, is read past). */
static void expect_closed (int fd, const char *what)
{
    char buf[256];
    const long long end = now_ms () + 3000;
    for (;;) {
        const ssize_t r = recv (fd, buf, sizeof buf, 0);
        if (r == 0 || (r < 0 && errno == ECONNRESET))
            break;
        if (r < 0 || now_ms () > end) {
            fprintf (stderr, "not closed: %s\n", what);
            CHECK (0);
        }
    }
    close (fd);
}

static void roundtrip (void *ctx, void *rep, int port)
{
    char ep[64];
    snprintf (ep, sizeof ep, "ws://127.0.0.1:%d/h", port);
    void *req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "still served", 0);
    RECV_STR (rep, "still served", 0);
    SEND_STR (rep, "yes", 0);
    RECV_STR (req, "yes", 0);
    CHECK_RC (zmq_close (req));
}

static void test_bad_frames (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    const int64_t max = 1000;
    CHECK_RC (zmq_setsockopt (rep, ZMQ_MAXMSGSIZE, &max, sizeof max));
    CHECK_RC (zmq_bind (rep, "ws://127.0.0.1:*/h"));
    const int port = port_of (rep);
    roundtrip (ctx, rep, port);

    struct {
        const char *what;
        unsigned char bytes[32];
        size_t len;
    } frames[] = {
      {"unmasked from a client", {0x82, 0x02, 0x00, 'x'}, 4},
      {"text", {0x81, 0x82, 1, 2, 3, 4, 0x01, 'x' ^ 2}, 8},
      {"reserved bits", {0xC2, 0x82, 1, 2, 3, 4, 0x01, 'x' ^ 2}, 8},
      {"unknown opcode", {0x83, 0x80, 1, 2, 3, 4}, 6},
      {"2^40 bytes claimed",
       {0x82, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0x01, 9, 9, 9},
       18},
      {"over ZMQ_MAXMSGSIZE", {0x82, 0xFE, 0x07, 0xD0, 1, 2, 3, 4, 1}, 9},
      {"ping of 126 bytes", {0x89, 0xFE, 0, 126, 1, 2, 3, 4}, 8},
      {"fragmented ping", {0x09, 0x80, 1, 2, 3, 4}, 6},
      {"continuation of nothing", {0x80, 0x81, 1, 2, 3, 4, 5}, 7},
      {"message without its flags byte", {0x82, 0x80, 1, 2, 3, 4}, 6},
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        const int fd = upgrade (port);
        send_all (fd, frames[i].bytes, frames[i].len);
        expect_closed (fd, frames[i].what);
    }
    //  Fragments that add up past ZMQ_MAXMSGSIZE.
    {
        const int fd = upgrade (port);
        unsigned char frag[4 + 4 + 600];
        memset (frag, 0, sizeof frag);
        frag[0] = 0x02; // binary, not final
        frag[1] = 0xFE;
        frag[2] = 600 >> 8;
        frag[3] = 600 & 0xFF;
        send_all (fd, frag, sizeof frag);
        frag[0] = 0x00; // continuation, not final
        send_all (fd, frag, sizeof frag);
        expect_closed (fd, "fragments over ZMQ_MAXMSGSIZE");
    }
    roundtrip (ctx, rep, port);

    //  Bad upgrade requests: answered 400 (or closed), nothing else.
    const char *requests[] = {
      "HELLO\r\n\r\n",
      "GET /h HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: a\r\n"
      "Sec-WebSocket-Protocol: ZWS2.0\r\n\r\n",
      "GET /h HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: a\r\n"
      "Sec-WebSocket-Protocol: MQTT\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
        const int fd = raw_connect (port);
        send_all (fd, requests[i], strlen (requests[i]));
        const int status = read_head (fd);
        CHECK (status == 0 || status == 400);
        expect_closed (fd, requests[i]);
    }
    //  A head that never ends.
    {
        const int fd = raw_connect (port);
        char junk[1024];
        memset (junk, 'a', sizeof junk);
        for (int i = 0; i < 16; i++)
            if (send (fd, junk, sizeof junk, MSG_NOSIGNAL) < 0)
                break;
        expect_closed (fd, "endless head");
    }
    roundtrip (ctx, rep, port);
    CHECK_RC (zmq_close (rep));
}

/*  A raw listener that answers our upgrade with `answer`. */
static void bad_server (void *ctx, const char *answer)
{
    const int lfd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset (&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK_RC (bind (lfd, (struct sockaddr *) &a, sizeof a));
    CHECK_RC (listen (lfd, 4));
    socklen_t alen = sizeof a;
    CHECK_RC (getsockname (lfd, (struct sockaddr *) &a, &alen));
    char ep[64];
    snprintf (ep, sizeof ep, "ws://127.0.0.1:%d/x", ntohs (a.sin_port));
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    static int round;
    char mon_ep[64];
    snprintf (mon_ep, sizeof mon_ep, "inproc://ws-hostile-server-%d", round++);
    void *mon = MONITOR (ctx, req, mon_ep, ZMQ_EVENT_ALL);
    CHECK_RC (zmq_connect (req, ep));
    const int fd = accept (lfd, NULL, NULL);
    CHECK (fd >= 0);
    char buf[2048];
    CHECK (recv (fd, buf, sizeof buf, 0) > 0);
    send_all (fd, answer, strlen (answer));
    int value = 0;
    CHECK (await_event (mon, ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, &value, 3000));
    CHECK (value == ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED);
    CHECK (await_event (mon, ZMQ_EVENT_DISCONNECTED, NULL, 3000));
    close (fd);
    close (lfd);
    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (req));
}

static void test_bad_servers (void *ctx)
{
    bad_server (ctx, "SSH-2.0-OpenSSH\r\n\r\n");
    bad_server (ctx, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: wrong=\r\n"
                     "Sec-WebSocket-Protocol: ZWS2.0\r\n\r\n");
}

int main (void)
{
    TEST_TIMEOUT (60);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_bad_frames (ctx);
    test_bad_servers (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
