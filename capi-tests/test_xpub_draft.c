// Draft XPUB/XSUB options over inproc: XPUB_MANUAL_LAST_VALUE,
// ONLY_FIRST_SUBSCRIBE, XSUB_VERBOSE_UNSUBSCRIBE and TOPICS_COUNT.
// libzmq: skip draft API (Debian's libzmq is built without it)
#define ZMQ_BUILD_DRAFT_API
#include "testutil.h"

static void test_manual_last_value (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xpub, ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://last-value"));
    void *sub1 = SOCKET (ctx, ZMQ_SUB);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub1, "inproc://last-value"));
    CHECK_RC (zmq_connect (sub2, "inproc://last-value"));

    //  As in manual mode, the application grants the subscription to the
    //  pipe of the subscription message it read last. The first message
    //  sent after that goes to that subscriber only: the cached last value.
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "A", 1));
    SEND_STR (xpub, "A-cached-1", 0);
    RECV_STR (sub1, "A-cached-1", 0);
    SEND_STR (xpub, "A-live-1", 0);
    RECV_STR (sub1, "A-live-1", 0);

    //  A second subscriber to the same topic: its cached value does not
    //  reach the first one again; live data afterwards reaches both.
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "A", 1));
    SEND_STR (xpub, "A-cached-2", 0);
    RECV_STR (sub2, "A-cached-2", 0);
    SEND_STR (xpub, "A-live-2", 0);
    RECV_STR (sub1, "A-live-2", 0);
    RECV_STR (sub2, "A-live-2", 0);
    EXPECT_NOTHING (sub1, 50);
    EXPECT_NOTHING (sub2, 0);

    CHECK_RC (zmq_close (sub1));
    CHECK_RC (zmq_close (sub2));
    CHECK_RC (zmq_close (xpub));
}

static void test_only_first_subscribe_xpub (void *ctx)
{
    //  Default: every part that looks like a subscription is one, wherever
    //  it is in a multipart message.
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_bind (xpub, "inproc://first-default"));
    CHECK_RC (zmq_connect (xsub, "inproc://first-default"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_STR (xpub, "hello", 0);
    CHECK (RCVMORE (xpub) == 1);
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    SEND_STR (xpub, "A1", 0);
    RECV_STR (xsub, "A1", 0);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));

    //  With ONLY_FIRST_SUBSCRIBE on the XPUB, a message whose first part is
    //  not a subscription is user data all the way through.
    xpub = SOCKET (ctx, ZMQ_XPUB);
    xsub = SOCKET (ctx, ZMQ_XSUB);
    SET_INT (xpub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://first-xpub"));
    CHECK_RC (zmq_connect (xsub, "inproc://first-xpub"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_STR (xpub, "hello", 0);
    CHECK (RCVMORE (xpub) == 1);
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    //  A single-part subscription still works.
    SEND_BYTES (xsub, "\x01" "B", 0);
    RECV_BYTES_MORE (xpub, "\x01" "B", 0);
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "B1", 0);
    RECV_STR (xsub, "B1", 0);
    EXPECT_NOTHING (xsub, 50);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void test_only_first_subscribe_xsub (void *ctx)
{
    //  An XSUB remembers the subscriptions it sent and replays them to every
    //  publisher it connects to later. Default: a subscription-looking later
    //  part counts.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub-first-default"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-first-default"));
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    RECV_BYTES_MORE (xpub, "\x01" "Z", 0);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));

    //  With ONLY_FIRST_SUBSCRIBE on the XSUB the later part is user data and
    //  subscribes nothing.
    xsub = SOCKET (ctx, ZMQ_XSUB);
    xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xsub, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub-first"));
    SEND_STR (xsub, "hello", ZMQ_SNDMORE);
    SEND_BYTES (xsub, "\x01" "A", 0);
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-first"));
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES_MORE (xpub, "\x01" "Z", 0);
    EXPECT_NOTHING (xpub, 50);
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void verbose_unsubscribe_case (void *ctx, int verbose,
                                      const char *endpoint)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    if (verbose)
        SET_INT (xsub, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
    CHECK_RC (zmq_bind (xpub, endpoint));
    CHECK_RC (zmq_connect (xsub, endpoint));

    //  Subscriptions always go upstream; the XPUB reports the first.
    SEND_BYTES (xsub, "\x01" "A", 0);
    SEND_BYTES (xsub, "\x01" "A", 0);
    SEND_BYTES (xsub, "\x01" "Z", 0);
    RECV_BYTES_MORE (xpub, "\x01" "A", 0);
    RECV_BYTES_MORE (xpub, "\x01" "Z", 0);

    //  The XSUB counts "A" twice. By default only the unsubscription that
    //  removes it goes upstream; verbose, every one does.
    SEND_BYTES (xsub, "\x00" "A", 0);
    SEND_BYTES (xsub, "\x01" "Y", 0);
    if (verbose)
        RECV_BYTES_MORE (xpub, "\x00" "A", 0);
    RECV_BYTES_MORE (xpub, "\x01" "Y", 0);
    SEND_BYTES (xsub, "\x00" "A", 0);
    RECV_BYTES_MORE (xpub, "\x00" "A", 0);
    EXPECT_NOTHING (xpub, 50);

    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

static void test_xsub_verbose_unsubscribe (void *ctx)
{
    verbose_unsubscribe_case (ctx, 0, "inproc://xsub-unsub-default");
    verbose_unsubscribe_case (ctx, 1, "inproc://xsub-unsub-verbose");
}

static void test_topics_count (void *ctx)
{
    //  SUB: the number of distinct prefixes subscribed locally.
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 0);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 1);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 1);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK (GET_INT (sub, ZMQ_TOPICS_COUNT) == 2);

    //  XPUB: the number of distinct topics its subscribers asked for.
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 0);
    CHECK_RC (zmq_bind (xpub, "inproc://topics-count"));
    CHECK_RC (zmq_connect (sub, "inproc://topics-count"));
    RECV_BYTES_MORE (xpub, "\x01", 0);
    RECV_BYTES_MORE (xpub, "\x01" "B", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 2);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub2, "inproc://topics-count"));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "C", 1));
    RECV_BYTES_MORE (xpub, "\x01" "C", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 3);
    CHECK_RC (zmq_close (sub2));
    RECV_BYTES_MORE (xpub, "\x00" "C", 0);
    CHECK (GET_INT (xpub, ZMQ_TOPICS_COUNT) == 2);

    //  XSUB: what it subscribed to by message.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 0);
    SEND_BYTES (xsub, "\x01" "T", 0);
    SEND_BYTES (xsub, "\x01" "U", 0);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 2);
    SEND_BYTES (xsub, "\x00" "T", 0);
    CHECK (GET_INT (xsub, ZMQ_TOPICS_COUNT) == 1);

    //  Other socket types do not have it.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    int value;
    size_t size = sizeof value;
    CHECK_ERR (zmq_getsockopt (push, ZMQ_TOPICS_COUNT, &value, &size),
               EINVAL);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_manual_last_value (ctx);
    test_only_first_subscribe_xpub (ctx);
    test_only_first_subscribe_xsub (ctx);
    test_xsub_verbose_unsubscribe (ctx);
    test_topics_count (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
