// PUB/SUB over inproc: prefix filtering, several and repeated subscriptions,
// unsubscribe, the empty subscription, dropping when nobody listens or a
// subscriber is slow (PUB never blocks), INVERT_MATCHING, and multipart
// messages delivered whole or not at all.
#include "testutil.h"

//  Subscriptions travel to the PUB asynchronously. Publishes the marker
//  until the SUB receives one, which proves the PUB now filters for it.
static void sync_sub (void *pub, void *sub, const char *marker)
{
    for (int attempt = 0; attempt < 500; attempt++) {
        SEND_STR (pub, marker, 0);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 10)) == 1) {
            RECV_STR (sub, marker, 0);
            return;
        }
    }
    CHECK (!"subscription never reached the publisher");
}

//  Receives single-frame messages up to the terminator, skipping markers,
//  and checks they are exactly the expected list.
static void expect_list (void *sub, const char *marker, const char *end,
                         const char *const *want, int count)
{
    int got = 0;
    for (;;) {
        char buf[256];
        const int rc = recv_buf (sub, buf, sizeof buf, 0);
        CHECK (rc != -1);
        CHECK (RCVMORE (sub) == 0);
        if (marker && strcmp (buf, marker) == 0)
            continue;
        if (strcmp (buf, end) == 0)
            break;
        if (got >= count || strcmp (buf, want[got]) != 0) {
            fprintf (stderr, "unexpected message \"%s\" at position %d\n", buf,
                     got);
            CHECK (0);
        }
        got++;
    }
    CHECK (got == count);
}

static void test_prefix (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (pub, "inproc://prefix"));
    CHECK_RC (zmq_connect (sub, "inproc://prefix"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    sync_sub (pub, sub, "A-sync");

    const char *sent[] = {"AB", "BA", "A", "", "a", "Abc", "xA"};
    for (int i = 0; i < 7; i++)
        SEND_STR (pub, sent[i], 0);
    SEND_STR (pub, "A-end", 0);
    const char *want[] = {"AB", "A", "Abc"};
    expect_list (sub, "A-sync", "A-end", want, 3);

    //  Binary topics with zero bytes match byte by byte.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "\0\1", 2));
    for (int attempt = 0;; attempt++) {
        CHECK (attempt < 500);
        CHECK (CHECK_RC (zmq_send (pub, "\0\1x", 3, 0)) == 3);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 10)) == 1)
            break;
    }
    char buf[8];
    CHECK (CHECK_RC (zmq_recv (sub, buf, sizeof buf, 0)) == 3);
    CHECK (memcmp (buf, "\0\1x", 3) == 0);
    CHECK (CHECK_RC (zmq_send (pub, "\0\2x", 3, 0)) == 3);
    CHECK (CHECK_RC (zmq_send (pub, "\0\1y", 3, 0)) == 3);
    CHECK (CHECK_RC (zmq_recv (sub, buf, sizeof buf, 0)) == 3);
    CHECK (memcmp (buf, "\0\1y", 3) == 0);

    //  Only SUB receives and only PUB sends.
    CHECK_ERR (zmq_recv (pub, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_ERR (zmq_send (sub, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

static void test_subscriptions (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (pub, "inproc://subs"));
    CHECK_RC (zmq_connect (sub, "inproc://subs"));
    //  Overlapping prefixes: a message matching both arrives once.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "AB", 2));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "B", 1));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "sync", 4));
    sync_sub (pub, sub, "sync");
    {
        const char *sent[] = {"A1", "AB1", "B1", "C1", "b1"};
        for (int i = 0; i < 5; i++)
            SEND_STR (pub, sent[i], 0);
        SEND_STR (pub, "sync-end", 0);
        const char *want[] = {"A1", "AB1", "B1"};
        expect_list (sub, "sync", "sync-end", want, 3);
    }

    //  Unsubscribing takes effect at once for this subscriber, even for
    //  messages already on their way.
    SEND_STR (pub, "B-queued", 0);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "B", 1));
    {
        SEND_STR (pub, "B2", 0);
        SEND_STR (pub, "A2", 0);
        SEND_STR (pub, "sync-end", 0);
        const char *want[] = {"A2"};
        expect_list (sub, "sync", "sync-end", want, 1);
    }

    //  Subscriptions are counted: subscribing "A" twice and unsubscribing
    //  once leaves "A" subscribed. Removing "A" keeps the longer "AB".
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    {
        SEND_STR (pub, "A3", 0);
        SEND_STR (pub, "sync-end", 0);
        const char *want[] = {"A3"};
        expect_list (sub, "sync", "sync-end", want, 1);
    }
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "A", 1));
    {
        SEND_STR (pub, "A4", 0);
        SEND_STR (pub, "AB4", 0);
        SEND_STR (pub, "sync-end", 0);
        const char *want[] = {"AB4"};
        expect_list (sub, "sync", "sync-end", want, 1);
    }
    //  Unsubscribing something never subscribed is harmless.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_UNSUBSCRIBE, "never", 5));
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

static void test_empty_subscription (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *all = SOCKET (ctx, ZMQ_SUB);
    void *none = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (pub, "inproc://empty"));
    CHECK_RC (zmq_connect (all, "inproc://empty"));
    CHECK_RC (zmq_connect (none, "inproc://empty"));
    CHECK_RC (zmq_setsockopt (all, ZMQ_SUBSCRIBE, "", 0));
    sync_sub (pub, all, "sync");
    const char *sent[] = {"x", "", "anything", "\xff"};
    for (int i = 0; i < 4; i++)
        SEND_STR (pub, sent[i], 0);
    SEND_STR (pub, "end", 0);
    expect_list (all, "sync", "end", sent, 4);
    //  A SUB without any subscription receives nothing.
    char buf[16];
    SET_INT (none, ZMQ_RCVTIMEO, 100);
    CHECK_ERR (zmq_recv (none, buf, sizeof buf, 0), EAGAIN);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (all));
    CHECK_RC (zmq_close (none));
}

static void test_no_subscribers (void *ctx)
{
    //  A PUB with nobody listening accepts and drops everything at once.
    void *pub = SOCKET (ctx, ZMQ_PUB);
    CHECK_RC (zmq_bind (pub, "inproc://nobody"));
    CHECK (GET_INT (pub, ZMQ_EVENTS) & ZMQ_POLLOUT);
    SET_INT (pub, ZMQ_SNDHWM, 1);
    const long long start = now_ms ();
    for (int i = 0; i < 10000; i++) {
        SEND_STR (pub, "into the void", 0);
        SEND_STR (pub, "part", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        SEND_STR (pub, "part", ZMQ_DONTWAIT);
    }
    CHECK (now_ms () - start < 10000);
    //  A late subscriber does not see what was published before it came.
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    CHECK_RC (zmq_connect (sub, "inproc://nobody"));
    sync_sub (pub, sub, "sync");
    SEND_STR (pub, "end", 0);
    expect_list (sub, "sync", "end", NULL, 0);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

static void test_hwm_drop (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    SET_INT (pub, ZMQ_SNDHWM, 10);
    SET_INT (sub, ZMQ_RCVHWM, 10);
    CHECK_RC (zmq_bind (pub, "inproc://hwm"));
    CHECK_RC (zmq_connect (sub, "inproc://hwm"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    sync_sub (pub, sub, "sync");

    //  A slow subscriber never blocks the PUB: past the mark, messages to
    //  it are dropped, blocking send or not, and the PUB stays writable.
    const long long start = now_ms ();
    for (int i = 0; i < 1000; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        SEND_STR (pub, buf, i % 2 ? ZMQ_DONTWAIT : 0);
    }
    CHECK (now_ms () - start < 10000);
    CHECK (GET_INT (pub, ZMQ_EVENTS) & ZMQ_POLLOUT);

    //  What arrives is the oldest messages, in order, at most the two marks
    //  together (an inproc pipe holds SNDHWM + RCVHWM).
    int got = 0;
    for (;;) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 200)) == 0)
            break;
        char buf[16], want[16];
        CHECK_RC (recv_buf (sub, buf, sizeof buf, 0));
        if (strcmp (buf, "sync") == 0)
            continue;
        snprintf (want, sizeof want, "%d", got);
        CHECK (strcmp (buf, want) == 0);
        got++;
    }
    CHECK (got >= 1 && got <= 20);

    //  Once drained the subscriber receives again.
    SET_INT (pub, ZMQ_SNDTIMEO, 0);
    sync_sub (pub, sub, "sync");
    SEND_STR (pub, "after", 0);
    RECV_STR (sub, "after", 0);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

static void test_invert_matching (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK (GET_INT (pub, ZMQ_INVERT_MATCHING) == 0);
    SET_INT (pub, ZMQ_INVERT_MATCHING, 1);
    SET_INT (sub, ZMQ_INVERT_MATCHING, 1);
    CHECK (GET_INT (pub, ZMQ_INVERT_MATCHING) == 1);
    CHECK (GET_INT (sub, ZMQ_INVERT_MATCHING) == 1);
    CHECK_RC (zmq_bind (pub, "inproc://invert"));
    CHECK_RC (zmq_connect (sub, "inproc://invert"));
    //  Messages matching a subscription are the ones left out.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    sync_sub (pub, sub, "sync");
    const char *sent[] = {"A1", "B1", "AB", "C1", "bA"};
    for (int i = 0; i < 5; i++)
        SEND_STR (pub, sent[i], 0);
    SEND_STR (pub, "end", 0);
    const char *want[] = {"B1", "C1", "bA"};
    expect_list (sub, "sync", "end", want, 3);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

static void test_multipart (void *ctx)
{
    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_bind (pub, "inproc://multipart"));
    CHECK_RC (zmq_connect (sub, "inproc://multipart"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    sync_sub (pub, sub, "A-sync");

    //  Only the first frame is matched; the rest follows it or is dropped
    //  with it.
    SEND_STR (pub, "A", ZMQ_SNDMORE);
    SEND_STR (pub, "B", ZMQ_SNDMORE);
    SEND_STR (pub, "C", 0);
    SEND_STR (pub, "B", ZMQ_SNDMORE);
    SEND_STR (pub, "A", 0);
    SEND_STR (pub, "A2", ZMQ_SNDMORE);
    SEND_STR (pub, "", 0);
    RECV_STR (sub, "A", 0);
    CHECK (RCVMORE (sub));
    RECV_STR (sub, "B", 0);
    CHECK (RCVMORE (sub));
    RECV_STR (sub, "C", 0);
    CHECK (RCVMORE (sub) == 0);
    RECV_STR (sub, "A2", 0);
    CHECK (RCVMORE (sub));
    RECV_STR (sub, "", 0);
    CHECK (RCVMORE (sub) == 0);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));

    //  Under overflow, multipart messages are dropped whole: every message
    //  that arrives is complete.
    pub = SOCKET (ctx, ZMQ_PUB);
    sub = SOCKET (ctx, ZMQ_SUB);
    SET_INT (pub, ZMQ_SNDHWM, 2);
    SET_INT (sub, ZMQ_RCVHWM, 2);
    CHECK_RC (zmq_bind (pub, "inproc://multipart-hwm"));
    CHECK_RC (zmq_connect (sub, "inproc://multipart-hwm"));
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0));
    sync_sub (pub, sub, "sync");
    for (int i = 0; i < 50; i++) {
        char num[16];
        snprintf (num, sizeof num, "%d", i);
        SEND_STR (pub, num, ZMQ_SNDMORE);
        SEND_STR (pub, "middle", ZMQ_SNDMORE);
        SEND_STR (pub, num, 0);
    }
    int got = 0, last = -1;
    for (;;) {
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        if (CHECK_RC (zmq_poll (&item, 1, 200)) == 0)
            break;
        char first[16];
        CHECK_RC (recv_buf (sub, first, sizeof first, 0));
        if (strcmp (first, "sync") == 0)
            continue;
        CHECK (RCVMORE (sub));
        RECV_STR (sub, "middle", 0);
        CHECK (RCVMORE (sub));
        RECV_STR (sub, first, 0);
        CHECK (RCVMORE (sub) == 0);
        CHECK (atoi (first) > last);
        last = atoi (first);
        got++;
    }
    CHECK (got >= 1 && got <= 4);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_prefix (ctx);
    test_subscriptions (ctx);
    test_empty_subscription (ctx);
    test_no_subscribers (ctx);
    test_hwm_drop (ctx);
    test_invert_matching (ctx);
    test_multipart (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
