/*  STREAM sockets and their peers: ZMQ_CONNECT_ROUTING_ID names the
    connection a STREAM socket makes (its connect notification and the
    routing of what it sends use that id), and every frame a STREAM socket
    receives over tcp carries the "Peer-Address" property (the peer's IP),
    both from a plain tcp peer and from another STREAM socket. */
#include "testutil.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

static void *ctx;
/*  Whether recv_with_peer_address checks the property (the cases on
    ZMQ_CONNECT_ROUTING_ID alone do not). */
static int check_peer_address = 1;

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/*  Receives one frame into m; it must carry Peer-Address want. */
static void recv_with_peer_address (void *s, zmq_msg_t *m, const char *want)
{
    CHECK_RC (zmq_msg_init (m));
    CHECK (zmq_msg_recv (m, s, 0) >= 0);
    if (!check_peer_address)
        return;
    const char *addr = zmq_msg_gets (m, "Peer-Address");
    if (addr == NULL)
        TEST_FAIL_ ("a frame of %zu bytes has no Peer-Address (%s)",
                    zmq_msg_size (m), zmq_strerror (errno));
    CHECK_STR (addr, want);
}

static int msg_is (zmq_msg_t *m, const char *s)
{
    return zmq_msg_size (m) == strlen (s)
           && memcmp (zmq_msg_data (m), s, strlen (s)) == 0;
}

/*  A plain tcp peer of a bound STREAM socket. */
static void plain_peer (void)
{
    void *stream = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (stream, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (stream, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (stream, ep, sizeof ep);

    const int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in sa = loopback_addr (atoi (strrchr (ep, ':') + 1));
    CHECK (connect (fd, (struct sockaddr *) &sa, sizeof sa) == 0);

    /*  The connect notification: id, then an empty frame. */
    zmq_msg_t id, data;
    recv_with_peer_address (stream, &id, "127.0.0.1");
    CHECK (zmq_msg_more (&id));
    recv_with_peer_address (stream, &data, "127.0.0.1");
    CHECK_EQ (zmq_msg_size (&data), 0);
    CHECK_RC (zmq_msg_close (&data));

    CHECK (send (fd, "hello", 5, MSG_NOSIGNAL) == 5);
    zmq_msg_t id2;
    recv_with_peer_address (stream, &id2, "127.0.0.1");
    CHECK (zmq_msg_size (&id2) == zmq_msg_size (&id));
    CHECK (memcmp (zmq_msg_data (&id2), zmq_msg_data (&id),
                   zmq_msg_size (&id))
           == 0);
    recv_with_peer_address (stream, &data, "127.0.0.1");
    CHECK (msg_is (&data, "hello"));
    CHECK_RC (zmq_msg_close (&data));
    CHECK_RC (zmq_msg_close (&id2));
    CHECK_RC (zmq_msg_close (&id));
    close (fd);
    CHECK_RC (zmq_close (stream));
}

/*  A STREAM socket connects with ZMQ_CONNECT_ROUTING_ID to a plain tcp
    listener: the id names the connection. */
static void connect_routing_id_to_plain_listener (void)
{
    int port;
    const int lfd = loopback_listener (4, &port);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", port);

    void *stream = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (stream, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (stream, ZMQ_CONNECT_ROUTING_ID, "conn-1", 6));
    CHECK_RC (zmq_connect (stream, ep));
    struct pollfd pfd = {lfd, POLLIN, 0};
    CHECK (poll (&pfd, 1, 5000) == 1);
    const int fd = accept (lfd, NULL, NULL);
    CHECK (fd >= 0);

    /*  The connect notification carries the chosen id. */
    zmq_msg_t m;
    recv_with_peer_address (stream, &m, "127.0.0.1");
    if (!msg_is (&m, "conn-1"))
        TEST_FAIL_ ("the connection's id is %zu bytes, not \"conn-1\"",
                    zmq_msg_size (&m));
    CHECK_RC (zmq_msg_close (&m));
    recv_with_peer_address (stream, &m, "127.0.0.1");
    CHECK_EQ (zmq_msg_size (&m), 0);
    CHECK_RC (zmq_msg_close (&m));

    /*  Sending to that id reaches the peer. */
    SEND_STR (stream, "conn-1", ZMQ_SNDMORE);
    SEND_STR (stream, "hi there", 0);
    char buf[64];
    size_t got = 0;
    const long long deadline = now_ms () + 5000;
    while (got < 8 && now_ms () < deadline) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll (&p, 1, 100) != 1)
            continue;
        const ssize_t n = recv (fd, buf + got, sizeof buf - got, 0);
        CHECK (n > 0);
        got += (size_t) n;
    }
    CHECK_EQ (got, 8);
    CHECK (memcmp (buf, "hi there", 8) == 0);

    /*  And what the peer sends comes with that id. */
    CHECK (send (fd, "back", 4, MSG_NOSIGNAL) == 4);
    RECV_BYTES_MORE (stream, "conn-1", 1);
    recv_with_peer_address (stream, &m, "127.0.0.1");
    CHECK (msg_is (&m, "back"));
    CHECK_RC (zmq_msg_close (&m));
    close (fd);
    close (lfd);
    CHECK_RC (zmq_close (stream));
}

/*  Two STREAM sockets: the connecting one names its connection. */
static void stream_to_stream (void)
{
    void *server = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (server, ep, sizeof ep);
    void *client = SOCKET (ctx, ZMQ_STREAM);
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "to-server", 9));
    CHECK_RC (zmq_connect (client, ep));

    zmq_msg_t m;
    recv_with_peer_address (client, &m, "127.0.0.1");
    CHECK (msg_is (&m, "to-server"));
    CHECK_RC (zmq_msg_close (&m));
    recv_with_peer_address (client, &m, "127.0.0.1");
    CHECK_EQ (zmq_msg_size (&m), 0);
    CHECK_RC (zmq_msg_close (&m));

    zmq_msg_t sid;
    recv_with_peer_address (server, &sid, "127.0.0.1");
    recv_with_peer_address (server, &m, "127.0.0.1");
    CHECK_EQ (zmq_msg_size (&m), 0);
    CHECK_RC (zmq_msg_close (&m));

    SEND_STR (client, "to-server", ZMQ_SNDMORE);
    SEND_STR (client, "request", 0);
    zmq_msg_t sid2;
    recv_with_peer_address (server, &sid2, "127.0.0.1");
    recv_with_peer_address (server, &m, "127.0.0.1");
    CHECK (msg_is (&m, "request"));
    CHECK_RC (zmq_msg_close (&m));
    CHECK_RC (zmq_msg_send (&sid2, server, ZMQ_SNDMORE));
    SEND_STR (server, "reply", 0);
    RECV_BYTES_MORE (client, "to-server", 1);
    recv_with_peer_address (client, &m, "127.0.0.1");
    CHECK (msg_is (&m, "reply"));
    CHECK_RC (zmq_msg_close (&m));
    CHECK_RC (zmq_msg_close (&sid));
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

static void run (void (*fn) (void))
{
    ctx = CHECK_PTR (zmq_ctx_new ());
    fn ();
    CHECK_RC (zmq_ctx_term (ctx));
}

static void case_plain_peer (void *arg)
{
    (void) arg;
    run (plain_peer);
}
static void case_connect_id (void *arg)
{
    check_peer_address = arg != NULL;
    run (connect_routing_id_to_plain_listener);
}
static void case_stream_to_stream (void *arg)
{
    check_peer_address = arg != NULL;
    run (stream_to_stream);
}

int main (void)
{
    TEST_TIMEOUT (40);
    const struct isolated_case cases[] = {
      {"a plain tcp peer's frames carry Peer-Address", case_plain_peer, NULL},
      {"ZMQ_CONNECT_ROUTING_ID names a STREAM connection to a plain listener",
       case_connect_id, NULL},
      {"STREAM to STREAM: ZMQ_CONNECT_ROUTING_ID", case_stream_to_stream,
       NULL},
      {"a connecting STREAM socket's frames carry Peer-Address",
       case_connect_id, &check_peer_address},
      {"STREAM to STREAM: both sides' frames carry Peer-Address",
       case_stream_to_stream, &check_peer_address},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               20)
             ? 1
             : 0;
}
