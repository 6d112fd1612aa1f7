/*  CLIENT and SERVER connections: ZMQ_HELLO_MSG (the first message each new
    peer gets) and ZMQ_DISCONNECT_MSG (what a SERVER receives, with the peer's
    routing id, when a client goes), over tcp and inproc (bound first or
    connected first); heartbeats (a peer's PING TTL closes a silent
    connection, answered PINGs keep one open); ZMQ_USE_FD for a SERVER. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void *ctx;

static uint32_t recv_msg (void *s, const char *want)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    CHECK_EQ (zmq_msg_recv (&m, s, 0), (int) strlen (want));
    CHECK (memcmp (zmq_msg_data (&m), want, strlen (want)) == 0);
    uint32_t rid = zmq_msg_routing_id (&m);
    CHECK_RC (zmq_msg_close (&m));
    return rid;
}

static void hello_and_goodbye (const char *address, int connect_first,
                               int by_disconnect)
{
    void *server = SOCKET (ctx, ZMQ_SERVER);
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_setsockopt (server, ZMQ_DISCONNECT_MSG, "D", 1));
    CHECK_RC (zmq_setsockopt (server, ZMQ_HELLO_MSG, "SH", 2));
    CHECK_RC (zmq_setsockopt (client, ZMQ_HELLO_MSG, "H", 1));
    char endpoint[128];
    if (connect_first) {
        CHECK_RC (zmq_connect (client, address));
        CHECK_RC (zmq_bind (server, address));
        strcpy (endpoint, address);
    } else {
        CHECK_RC (zmq_bind (server, address));
        size_t len = sizeof endpoint;
        CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
        CHECK_RC (zmq_connect (client, endpoint));
    }
    uint32_t rid = recv_msg (server, "H");
    CHECK (rid != 0);
    recv_msg (client, "SH");
    if (by_disconnect)
        CHECK_RC (zmq_disconnect (client, endpoint));
    else
        CHECK_RC (zmq_close (client));
    CHECK_EQ (recv_msg (server, "D"), rid);
    if (by_disconnect)
        CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

static void *monitored (void *s, const char *name)
{
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://monitor-%s", name);
    CHECK_RC (zmq_socket_monitor (s, endpoint,
                                  ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED));
    void *mon = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (mon, endpoint));
    return mon;
}

/*  The next monitor event within `ms`, or -1. */
static int next_event (void *mon, int ms)
{
    SET_INT (mon, ZMQ_RCVTIMEO, ms);
    zmq_msg_t m;
    zmq_msg_init (&m);
    if (zmq_msg_recv (&m, mon, 0) < 0) {
        zmq_msg_close (&m);
        return -1;
    }
    uint16_t event;
    memcpy (&event, zmq_msg_data (&m), 2);
    zmq_msg_close (&m);
    char addr[256];
    CHECK (zmq_recv (mon, addr, sizeof addr, 0) >= 0);
    return event;
}

static void heartbeats (int server_pings)
{
    void *server = SOCKET (ctx, ZMQ_SERVER);
    SET_INT (server, ZMQ_LINGER, 0);
    if (server_pings)
        SET_INT (server, ZMQ_HEARTBEAT_IVL, 50);
    void *mon = monitored (server, server_pings ? "ping" : "ttl");
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    SET_INT (client, ZMQ_LINGER, 0);
    if (!server_pings) {
        /*  The client asks to be dropped 100 ms after a PING it sends every
            250 ms; the server, which sends none, must keep to that. */
        SET_INT (client, ZMQ_HEARTBEAT_TTL, 100);
        SET_INT (client, ZMQ_HEARTBEAT_IVL, 250);
    }
    CHECK_RC (zmq_connect (client, endpoint));
    CHECK_EQ (next_event (mon, 5000), ZMQ_EVENT_ACCEPTED);
    if (server_pings)
        /*  PINGs answered: the connection stays. */
        CHECK_EQ (next_event (mon, 500), -1);
    else
        CHECK_EQ (next_event (mon, 5000), ZMQ_EVENT_DISCONNECTED);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
    CHECK_RC (zmq_close (mon));
}

static void use_fd (void)
{
    int port;
    const int l = loopback_listener (16, &port);
    void *server = SOCKET (ctx, ZMQ_SERVER);
    SET_INT (server, ZMQ_USE_FD, l);
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    void *client = SOCKET (ctx, ZMQ_CLIENT);
    CHECK_RC (zmq_connect (client, endpoint));
    SEND_STR (client, "through the fd", 0);
    uint32_t rid = recv_msg (server, "through the fd");
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init_size (&m, 5));
    memcpy (zmq_msg_data (&m), "reply", 5);
    CHECK_RC (zmq_msg_set_routing_id (&m, rid));
    CHECK_EQ (zmq_msg_send (&m, server, 0), 5);
    recv_msg (client, "reply");
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

/*  Each case has a context of its own, terminated before the next begins, so
    no case starts while another's connections are still closing (libzmq
    4.3.4's I/O thread was seen to stall on a new connection accepted in the
    same pass that closed an old one). */
static void fresh_context (void)
{
    if (ctx)
        CHECK_RC (zmq_ctx_term (ctx));
    ctx = CHECK_PTR (zmq_ctx_new ());
}

int main (void)
{
    TEST_TIMEOUT (40);
    fresh_context ();
    hello_and_goodbye ("tcp://127.0.0.1:*", 0, 0);
    fresh_context ();
    hello_and_goodbye ("inproc://hello-1", 0, 0);
    hello_and_goodbye ("inproc://hello-2", 1, 0);
    hello_and_goodbye ("inproc://hello-3", 0, 1);
    fresh_context ();
    heartbeats (0);
    fresh_context ();
    heartbeats (1);
    fresh_context ();
    use_fd ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
