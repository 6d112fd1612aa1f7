// XPUB/XSUB over inproc: subscription messages (\x01topic and \x00topic)
// seen by XPUB, duplicates with and without XPUB_VERBOSE / XPUB_VERBOSER,
// XPUB_NODROP, XPUB_MANUAL, XPUB_WELCOME_MSG, and XSUB sending
// subscriptions as messages.
#include "testutil.h"

static void test_subscription_messages (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xpub-msgs"));
    CHECK_RC (zmq_connect (sub, "inproc://xpub-msgs"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "topic", 5));
    RECV_BYTES (xpub, "\x01topic");
    CHECK (RCVMORE (xpub) == 0);
    //  Now the XPUB filters for the SUB like a PUB would.
    SEND_STR (xpub, "topic-1", 0);
    SEND_STR (xpub, "other", 0);
    SEND_STR (xpub, "topic-2", 0);
    RECV_STR (sub, "topic-1", 0);
    RECV_STR (sub, "topic-2", 0);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "topic", 5));
    RECV_BYTES (xpub, "\x00topic");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x00");
    EXPECT_NOTHING (xpub, 50);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));

    //  Subscriptions made before the connection are sent when it is made.
    xpub = SOCKET (ctx, ZMQ_XPUB);
    sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "early", 5));
    CHECK_RC (zmq_bind (xpub, "inproc://xpub-early"));
    CHECK_RC (zmq_connect (sub, "inproc://xpub-early"));
    RECV_BYTES (xpub, "\x01" "early");
    //  A subscriber going away cancels its subscriptions.
    CHECK_RC (zmq_close (sub));
    RECV_BYTES (xpub, "\x00" "early");
    CHECK_RC (zmq_close (xpub));
}

//  Two SUBs subscribe and unsubscribe the same topic; "Z"/"Y" are
//  subscriptions that are always reported, used to prove that nothing was
//  reported between them (messages from one SUB arrive in order).
static void duplicates_case (void *ctx, int verbose, int verboser,
                             const char *endpoint)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    if (verbose)
        SET_INT (xpub, ZMQ_XPUB_VERBOSE, 1);
    if (verboser)
        SET_INT (xpub, ZMQ_XPUB_VERBOSER, 1);
    CHECK_RC (zmq_bind (xpub, endpoint));
    void *sub1 = SOCKET (ctx, ZMQ_SUB);
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub1, endpoint));
    CHECK_RC (zmq_connect (sub2, endpoint));

    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A");
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "Z", 1));
    if (verbose || verboser)
        RECV_BYTES (xpub, "\x01" "A");
    RECV_BYTES (xpub, "\x01" "Z");

    //  The same SUB subscribing again is a duplicate too.
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_SUBSCRIBE, "Y", 1));
    if (verbose || verboser)
        RECV_BYTES (xpub, "\x01" "A");
    RECV_BYTES (xpub, "\x01" "Y");
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub1, ZMQ_UNSUBSCRIBE, "Y", 1));
    //  Only the last unsubscription of a topic is reported, unless
    //  XPUB_VERBOSER passes them all.
    if (verboser)
        RECV_BYTES (xpub, "\x00" "A");
    RECV_BYTES (xpub, "\x00" "Y");
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_UNSUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x00" "A");
    EXPECT_NOTHING (xpub, 50);

    CHECK_RC (zmq_close (sub1));
    CHECK_RC (zmq_close (sub2));
    //  Closing sub2 cancels its last subscription "Z".
    RECV_BYTES (xpub, "\x00" "Z");
    CHECK_RC (zmq_close (xpub));
}

static void test_duplicates (void *ctx)
{
    duplicates_case (ctx, 0, 0, "inproc://dup-plain");
    duplicates_case (ctx, 1, 0, "inproc://dup-verbose");
    duplicates_case (ctx, 0, 1, "inproc://dup-verboser");
}

static void test_nodrop (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    SET_INT (xpub, ZMQ_XPUB_NODROP, 1);
    SET_INT (xpub, ZMQ_SNDHWM, 4);
    SET_INT (sub, ZMQ_RCVHWM, 6);
    CHECK_RC (zmq_bind (xpub, "inproc://nodrop"));
    CHECK_RC (zmq_connect (sub, "inproc://nodrop"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");

    //  Instead of dropping, the XPUB refuses once the subscriber's pipe is
    //  full: SNDHWM + RCVHWM messages over inproc.
    int sent = 0;
    while (sent < 100) {
        if (zmq_send (xpub, "m", 1, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            break;
        }
        sent++;
    }
    CHECK (sent == 10);
    SET_INT (xpub, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (xpub, "m", 1, 0), EAGAIN);
    for (int i = 0; i < sent; i++)
        RECV_STR (sub, "m", 0);
    SET_INT (xpub, ZMQ_SNDTIMEO, 2000);
    SEND_STR (xpub, "again", 0);
    RECV_STR (sub, "again", 0);
    SET_INT (xpub, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

static void test_manual (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    SET_INT (xpub, ZMQ_XPUB_MANUAL, 1);
    CHECK_RC (zmq_bind (xpub, "inproc://manual"));
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub, "inproc://manual"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x01" "A");

    //  The request alone subscribes nothing in manual mode.
    SEND_STR (xpub, "A0", 0);
    //  The application decides: here it grants a narrower topic, applied to
    //  the pipe of the last subscription message received.
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "AB", 2));
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "AB1", 0);
    RECV_STR (sub, "AB1", 0);

    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "AC", 2));
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_UNSUBSCRIBE, "AB", 2));
    SEND_STR (xpub, "AB2", 0);
    SEND_STR (xpub, "AC2", 0);
    RECV_STR (sub, "AC2", 0);

    //  Unsubscription requests are passed on too (every one, as manual mode
    //  implies verbose), and again change nothing by themselves.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    RECV_BYTES (xpub, "\x00" "A");
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "AC", 2));
    RECV_BYTES (xpub, "\x01" "AC");
    SEND_STR (xpub, "AC3", 0);
    RECV_STR (sub, "AC3", 0);
    EXPECT_NOTHING (sub, 50);

    //  A second subscriber: each grant goes to whoever sent the last
    //  subscription message.
    void *sub2 = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (sub2, "inproc://manual"));
    CHECK_RC (zmq_setsockopt (sub2, ZMQ_SUBSCRIBE, "", 0));
    RECV_BYTES (xpub, "\x01");
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_SUBSCRIBE, "Q", 1));
    SEND_STR (xpub, "Q1", 0);
    SEND_STR (xpub, "AC4", 0);
    RECV_STR (sub2, "Q1", 0);
    RECV_STR (sub, "AC4", 0);
    EXPECT_NOTHING (sub2, 50);
    EXPECT_NOTHING (sub, 0);

    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (sub2));
    CHECK_RC (zmq_close (xpub));
}

static void test_welcome (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_XPUB_WELCOME_MSG, "W", 1));
    CHECK_RC (zmq_bind (xpub, "inproc://welcome"));
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "W", 1));
    CHECK_RC (zmq_connect (sub, "inproc://welcome"));
    RECV_BYTES (xpub, "\x01" "W");
    //  Every new subscriber gets the welcome message first.
    RECV_STR (sub, "W", 0);
    CHECK (RCVMORE (sub) == 0);
    SEND_STR (xpub, "W-after", 0);
    RECV_STR (sub, "W-after", 0);

    //  An XSUB does not filter what it receives, so it sees the welcome
    //  even though it subscribed to something else.
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (xsub, "inproc://welcome"));
    SEND_BYTES (xsub, "\x01" "X", 0);
    RECV_BYTES (xpub, "\x01" "X");
    RECV_STR (xsub, "W", 0);

    //  An empty value turns it off.
    CHECK_RC (zmq_setsockopt (xpub, ZMQ_XPUB_WELCOME_MSG, NULL, 0));
    void *late = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (late, "inproc://welcome"));
    SEND_BYTES (late, "\x01" "Z", 0);
    RECV_BYTES (xpub, "\x01" "Z");
    SEND_STR (xpub, "Z1", 0);
    RECV_STR (late, "Z1", 0);
    EXPECT_NOTHING (late, 50);

    CHECK_RC (zmq_close (late));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xpub));
}

static void test_xsub (void *ctx)
{
    void *xpub = SOCKET (ctx, ZMQ_XPUB);
    void *xsub = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_bind (xpub, "inproc://xsub"));
    CHECK_RC (zmq_connect (xsub, "inproc://xsub"));

    //  An XSUB subscribes by sending \x01topic, unsubscribes with \x00topic.
    SEND_BYTES (xsub, "\x01" "A", 0);
    RECV_BYTES (xpub, "\x01" "A");
    SEND_STR (xpub, "A1", 0);
    SEND_STR (xpub, "B1", 0);
    SEND_STR (xpub, "A2", 0);
    RECV_STR (xsub, "A1", 0);
    RECV_STR (xsub, "A2", 0);

    //  Other messages go upstream unchanged and subscribe nothing.
    SEND_STR (xsub, "hello upstream", 0);
    RECV_STR (xpub, "hello upstream", 0);
    SEND_STR (xpub, "hello upstream", 0);
    SEND_BYTES (xsub, "\x00" "A", 0);
    RECV_BYTES (xpub, "\x00" "A");
    SEND_STR (xpub, "A3", 0);
    SEND_BYTES (xsub, "\x01", 0);
    RECV_BYTES (xpub, "\x01");
    SEND_STR (xpub, "B2", 0);
    RECV_STR (xsub, "B2", 0);
    EXPECT_NOTHING (xsub, 50);

    //  Subscriptions an XSUB holds are replayed to a publisher it connects
    //  to later.
    void *xpub2 = SOCKET (ctx, ZMQ_XPUB);
    CHECK_RC (zmq_bind (xpub2, "inproc://xsub-2"));
    CHECK_RC (zmq_connect (xsub, "inproc://xsub-2"));
    RECV_BYTES (xpub2, "\x01");

    //  A plain PUB ignores what comes upstream except subscriptions.
    void *pub = SOCKET (ctx, ZMQ_PUB);
    CHECK_RC (zmq_bind (pub, "inproc://xsub-pub"));
    void *xsub2 = SOCKET (ctx, ZMQ_XSUB);
    CHECK_RC (zmq_connect (xsub2, "inproc://xsub-pub"));
    SEND_STR (xsub2, "ignored", 0);
    SEND_BYTES (xsub2, "\x01" "T", 0);
    for (int attempt = 0;; attempt++) {
        CHECK (attempt < 500);
        SEND_STR (pub, "T1", 0);
        zmq_pollitem_t item = {xsub2, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 10)) == 1)
            break;
    }
    RECV_STR (xsub2, "T1", 0);

    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (xsub2));
    CHECK_RC (zmq_close (xpub2));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_close (xpub));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_subscription_messages (ctx);
    test_duplicates (ctx);
    test_nodrop (ctx);
    test_manual (ctx);
    test_welcome (ctx);
    test_xsub (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
