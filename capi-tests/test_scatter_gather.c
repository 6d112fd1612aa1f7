/*  SCATTER and GATHER (RFC 49): messages spread over the GATHER peers in turn
    and fair-queued in, single-part only, over inproc and tcp; CHANNEL (RFC 51):
    one peer, single-part, both ways. All are thread-safe. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

static void *ctx;

static void last_endpoint (void *s, char *buf, size_t cap)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &cap));
}

static void test_scatter_gather (const char *bind_to)
{
    void *scatter = SOCKET (ctx, ZMQ_SCATTER);
    void *g1 = SOCKET (ctx, ZMQ_GATHER);
    void *g2 = SOCKET (ctx, ZMQ_GATHER);
    CHECK_EQ (GET_INT (scatter, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ (GET_INT (g1, ZMQ_THREAD_SAFE), 1);
    CHECK_RC (zmq_bind (scatter, bind_to));
    char endpoint[256];
    last_endpoint (scatter, endpoint, sizeof endpoint);
    CHECK_RC (zmq_connect (g1, endpoint));
    CHECK_RC (zmq_connect (g2, endpoint));
    /*  Both peers known: messages alternate between them. */
    for (int i = 0;; i++) {
        CHECK (i < 500);
        SEND_STR (scatter, "probe", 0);
        msleep (10);
        if ((GET_INT (g1, ZMQ_EVENTS) & ZMQ_POLLIN)
            && (GET_INT (g2, ZMQ_EVENTS) & ZMQ_POLLIN))
            break;
    }
    char buf[16];
    while (zmq_recv (g1, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
    }
    while (zmq_recv (g2, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
    }
    for (int i = 0; i < 10; i++)
        SEND_STR (scatter, "m", 0);
    int n1 = 0, n2 = 0;
    msleep (100);
    while (zmq_recv (g1, buf, sizeof buf, ZMQ_DONTWAIT) == 1)
        n1++;
    while (zmq_recv (g2, buf, sizeof buf, ZMQ_DONTWAIT) == 1)
        n2++;
    CHECK_EQ (n1 + n2, 10);
    CHECK_EQ (n1, 5);

    /*  Single part only; a GATHER sends nothing, a SCATTER receives nothing. */
    CHECK_ERR (zmq_send (scatter, "x", 1, ZMQ_SNDMORE), EINVAL);
    CHECK_ERR (zmq_send (g1, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR (zmq_recv (scatter, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);

    /*  GATHER fair-queues what many SCATTER sockets send. */
    void *s2 = SOCKET (ctx, ZMQ_SCATTER);
    void *gather = SOCKET (ctx, ZMQ_GATHER);
    CHECK_RC (zmq_bind (gather, bind_to[0] == 'i' ? "inproc://gather" : bind_to));
    last_endpoint (gather, endpoint, sizeof endpoint);
    CHECK_RC (zmq_connect (s2, endpoint));
    void *s3 = SOCKET (ctx, ZMQ_SCATTER);
    CHECK_RC (zmq_connect (s3, endpoint));
    SEND_STR (s2, "from-2", 0);
    SEND_STR (s3, "from-3", 0);
    int seen2 = 0, seen3 = 0;
    for (int i = 0; i < 2; i++) {
        int n = zmq_recv (gather, buf, sizeof buf, 0);
        CHECK_EQ (n, 6);
        seen2 += memcmp (buf, "from-2", 6) == 0;
        seen3 += memcmp (buf, "from-3", 6) == 0;
    }
    CHECK (seen2 == 1 && seen3 == 1);

    void *all[] = {scatter, g1, g2, s2, s3, gather};
    for (int i = 0; i < 6; i++) {
        SET_INT (all[i], ZMQ_LINGER, 0);
        CHECK_RC (zmq_close (all[i]));
    }
}

static void test_channel (const char *bind_to)
{
    void *a = SOCKET (ctx, ZMQ_CHANNEL);
    void *b = SOCKET (ctx, ZMQ_CHANNEL);
    CHECK_EQ (GET_INT (a, ZMQ_THREAD_SAFE), 1);
    CHECK_RC (zmq_bind (a, bind_to));
    char endpoint[256];
    last_endpoint (a, endpoint, sizeof endpoint);
    CHECK_RC (zmq_connect (b, endpoint));
    SEND_STR (b, "hello", 0);
    RECV_STR (a, "hello", 0);
    SEND_STR (a, "world", 0);
    RECV_STR (b, "world", 0);
    CHECK_EQ (RCVMORE (b), 0);
    CHECK_ERR (zmq_send (a, "x", 1, ZMQ_SNDMORE), EINVAL);
    /*  A second peer is turned away: it never gets a message. */
    void *c = SOCKET (ctx, ZMQ_CHANNEL);
    SET_INT (c, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (c, endpoint));
    msleep (100);
    SEND_STR (a, "only-b", 0);
    RECV_STR (b, "only-b", 0);
    EXPECT_NOTHING (c, 100);
    CHECK_RC (zmq_close (c));
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

int main (void)
{
    TEST_TIMEOUT (40);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_scatter_gather ("inproc://scatter");
    test_scatter_gather ("tcp://127.0.0.1:*");
    test_channel ("inproc://channel");
    test_channel ("tcp://127.0.0.1:*");
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
