/*  tcp and ipc endpoints: the wildcard port and LAST_ENDPOINT, unbind by the resolved
    name, the ipc socket file removed when the socket closes, ZMQ_USE_FD, and the
    monitor events of a connection's life. */
#include <zmq.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

static void test_wildcard_and_unbind (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_bind (rep, "tcp://127.0.0.1:*"));
    char ep[256];
    last_endpoint (rep, ep, sizeof ep);
    CHECK (strncmp (ep, "tcp://127.0.0.1:", 16) == 0);
    CHECK (strcmp (ep, "tcp://127.0.0.1:*") != 0);

    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (req, ep));
    char last[256];
    last_endpoint (req, last, sizeof last);
    CHECK (strcmp (last, ep) == 0);
    SEND_STR (req, "ping", 0);
    RECV_STR (rep, "ping", 0);
    SEND_STR (rep, "pong", 0);
    RECV_STR (req, "pong", 0);

    /*  The wildcard spelling is not an endpoint of the socket; the resolved one is. */
    CHECK_ERR (zmq_unbind (rep, "tcp://127.0.0.1:*"), ENOENT);
    CHECK_RC (zmq_unbind (rep, ep));
    CHECK_ERR (zmq_unbind (rep, ep), ENOENT);
    CHECK_ERR (zmq_disconnect (req, "tcp://127.0.0.1:1"), ENOENT);
    CHECK_RC (zmq_disconnect (req, ep));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

static void test_ipc_file (void *ctx)
{
    void *pair = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (pair, "ipc://*"));
    char ep[256];
    last_endpoint (pair, ep, sizeof ep);
    CHECK (strncmp (ep, "ipc://", 6) == 0);
    struct stat st;
    CHECK (stat (ep + 6, &st) == 0);

    void *peer = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (peer, ep));
    SEND_STR (peer, "over ipc", 0);
    RECV_STR (pair, "over ipc", 0);
    CHECK_RC (zmq_close (peer));

    CHECK_RC (zmq_close (pair));
    /*  The socket file goes with the socket (give the I/O thread a moment). */
    int gone = 0;
    for (int i = 0; i < 100 && !gone; i++) {
        gone = stat (ep + 6, &st) != 0;
        if (!gone)
            msleep (10);
    }
    CHECK (gone);
}

static void test_use_fd (void *ctx)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    CHECK (fd >= 0);
    struct sockaddr_in addr;
    memset (&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (fd, (struct sockaddr *) &addr, sizeof addr) == 0);
    CHECK (listen (fd, 8) == 0);
    socklen_t len = sizeof addr;
    CHECK (getsockname (fd, (struct sockaddr *) &addr, &len) == 0);
    char ep[64];
    snprintf (ep, sizeof ep, "tcp://127.0.0.1:%d", ntohs (addr.sin_port));

    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_USE_FD, fd);
    CHECK_RC (zmq_bind (pull, ep));
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (push, ep));
    SEND_STR (push, "through my fd", 0);
    RECV_STR (pull, "through my fd", 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

/*  Waits for a monitor event; returns its id. */
static int next_event (void *mon)
{
    zmq_msg_t head;
    CHECK_RC (zmq_msg_init (&head));
    if (zmq_msg_recv (&head, mon, 0) == -1)
        return -1;
    uint16_t id;
    memcpy (&id, zmq_msg_data (&head), 2);
    zmq_msg_close (&head);
    char addr[256];
    CHECK (zmq_recv (mon, addr, sizeof addr, 0) >= 0);
    return id;
}

static int wait_event (void *mon, int want)
{
    for (int i = 0; i < 20; i++) {
        const int ev = next_event (mon);
        if (ev == want)
            return 1;
        if (ev == -1)
            return 0;
    }
    return 0;
}

static void test_monitor_events (void *ctx)
{
    void *server = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_socket_monitor (server, "inproc://mon-server", ZMQ_EVENT_ALL));
    void *smon = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (smon, "inproc://mon-server"));
    CHECK_RC (zmq_bind (server, "tcp://127.0.0.1:*"));
    CHECK (wait_event (smon, ZMQ_EVENT_LISTENING));
    char ep[256];
    last_endpoint (server, ep, sizeof ep);

    void *client = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_socket_monitor (client, "inproc://mon-client", ZMQ_EVENT_ALL));
    void *cmon = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (cmon, "inproc://mon-client"));
    CHECK_RC (zmq_connect (client, ep));

    CHECK (wait_event (cmon, ZMQ_EVENT_CONNECTED));
    CHECK (wait_event (cmon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED));
    CHECK (wait_event (smon, ZMQ_EVENT_ACCEPTED));
    CHECK (wait_event (smon, ZMQ_EVENT_HANDSHAKE_SUCCEEDED));

    /*  The client goes: the server sees the disconnect. */
    SET_INT (client, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (client));
    CHECK (wait_event (smon, ZMQ_EVENT_DISCONNECTED));

    SET_INT (server, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (server));
    CHECK (wait_event (smon, ZMQ_EVENT_MONITOR_STOPPED));
    CHECK_RC (zmq_close (smon));
    CHECK_RC (zmq_close (cmon));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_wildcard_and_unbind (ctx);
    test_ipc_file (ctx);
    test_use_fd (ctx);
    test_monitor_events (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
