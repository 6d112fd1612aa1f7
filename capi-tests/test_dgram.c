/*  DGRAM over udp: a message is the peer's address (ip:port) and a body; a
    reply goes back to the address a message came from. DGRAM binds only, and
    is not thread-safe (as in libzmq). */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void *ctx;

static int free_udp_port (void)
{
    int port;
    close (loopback_socket (SOCK_DGRAM, &port));
    return port;
}

/*  Receives address and body; the address must be `from`. Copies the address
    (as received) into `addr`. */
static void recv_from (void *s, const char *from, const char *body, char *addr,
                       size_t cap)
{
    int n = zmq_recv (s, addr, cap - 1, 0);
    CHECK (n > 0);
    addr[n] = '\0';
    CHECK_STR (addr, from);
    CHECK_EQ (RCVMORE (s), 1);
    RECV_STR (s, body, 0);
    CHECK_EQ (RCVMORE (s), 0);
}

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = SOCKET (ctx, ZMQ_DGRAM);
    void *b = SOCKET (ctx, ZMQ_DGRAM);
    CHECK_EQ (GET_INT (a, ZMQ_THREAD_SAFE), 0);
    CHECK_ERR (zmq_connect (a, "udp://127.0.0.1:5556"), ENOCOMPATPROTO);

    int pa = free_udp_port (), pb = free_udp_port ();
    char ea[64], eb[64], a_addr[32], b_addr[32];
    snprintf (ea, sizeof ea, "udp://127.0.0.1:%d", pa);
    snprintf (eb, sizeof eb, "udp://127.0.0.1:%d", pb);
    snprintf (a_addr, sizeof a_addr, "127.0.0.1:%d", pa);
    snprintf (b_addr, sizeof b_addr, "127.0.0.1:%d", pb);
    CHECK_RC (zmq_bind (a, ea));
    CHECK_RC (zmq_bind (b, eb));

    /*  Two parts exactly: the address with ZMQ_SNDMORE, then the body. */
    CHECK_ERR (zmq_send (b, "body", 4, 0), EINVAL);
    SEND_STR (b, a_addr, ZMQ_SNDMORE);
    CHECK_ERR (zmq_send (b, "body", 4, ZMQ_SNDMORE), EINVAL);
    SEND_STR (b, "Is someone there?", 0);

    char got[64];
    recv_from (a, b_addr, "Is someone there?", got, sizeof got);
    /*  The address as received (with libzmq's NUL) is good to reply to. */
    CHECK_RC (zmq_send (a, got, strlen (got) + 1, ZMQ_SNDMORE));
    SEND_STR (a, "Yes, there is!", 0);
    recv_from (b, a_addr, "Yes, there is!", got, sizeof got);

    /*  A message to an address that is none is dropped. */
    SEND_STR (a, "nowhere", ZMQ_SNDMORE);
    SEND_STR (a, "lost", 0);
    SEND_STR (a, b_addr, ZMQ_SNDMORE);
    SEND_STR (a, "found", 0);
    recv_from (b, a_addr, "found", got, sizeof got);

    SET_INT (a, ZMQ_LINGER, 0);
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
