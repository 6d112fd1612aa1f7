// ROUTER and DEALER over inproc: routing ids (given and generated),
// CONNECT_ROUTING_ID, ROUTER_MANDATORY, ROUTER_HANDOVER, PROBE_ROUTER, and
// DEALER round-robin and fair-queueing.
#include "testutil.h"

//  Receives a frame of any content into buf; returns its size.
static int recv_any (void *s, unsigned char *buf, size_t cap)
{
    const int rc = zmq_recv (s, buf, cap, 0);
    CHECK (rc != -1);
    CHECK ((size_t) rc <= cap);
    return rc;
}

static void test_routing_ids (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_bind (router, "inproc://ids"));

    //  A routing id set on the DEALER is what the ROUTER sees.
    void *named = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (named, ZMQ_ROUTING_ID, "dealer-1", 8));
    char got[256];
    size_t size = sizeof got;
    CHECK_RC (zmq_getsockopt (named, ZMQ_ROUTING_ID, got, &size));
    CHECK (size == 8 && memcmp (got, "dealer-1", 8) == 0);
    CHECK_RC (zmq_connect (named, "inproc://ids"));
    SEND_STR (named, "hello", ZMQ_SNDMORE);
    SEND_STR (named, "world", 0);
    RECV_STR (router, "dealer-1", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "hello", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "world", 0);
    CHECK (RCVMORE (router) == 0);
    SEND_STR (router, "dealer-1", ZMQ_SNDMORE);
    SEND_STR (router, "back", ZMQ_SNDMORE);
    SEND_STR (router, "again", 0);
    RECV_STR (named, "back", 0);
    CHECK (RCVMORE (named));
    RECV_STR (named, "again", 0);
    CHECK (RCVMORE (named) == 0);

    //  Without one, the ROUTER makes up 5 bytes starting with a zero byte,
    //  different for every peer, and routes replies by it.
    void *anon[2];
    unsigned char ids[2][256];
    for (int i = 0; i < 2; i++) {
        anon[i] = SOCKET (ctx, ZMQ_DEALER);
        size = sizeof got;
        CHECK_RC (zmq_getsockopt (anon[i], ZMQ_ROUTING_ID, got, &size));
        CHECK (size == 0);
        CHECK_RC (zmq_connect (anon[i], "inproc://ids"));
        SEND_STR (anon[i], "anon", 0);
        CHECK (recv_any (router, ids[i], sizeof ids[i]) == 5);
        CHECK (ids[i][0] == 0);
        CHECK (RCVMORE (router));
        RECV_STR (router, "anon", 0);
    }
    CHECK (memcmp (ids[0], ids[1], 5) != 0);
    for (int i = 1; i >= 0; i--) {
        CHECK (CHECK_RC (zmq_send (router, ids[i], 5, ZMQ_SNDMORE)) == 5);
        SEND_STR (router, i ? "to-1" : "to-0", 0);
    }
    RECV_STR (anon[0], "to-0", 0);
    RECV_STR (anon[1], "to-1", 0);

    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (named));
    CHECK_RC (zmq_close (anon[0]));
    CHECK_RC (zmq_close (anon[1]));
}

static void test_connect_routing_id (void *ctx)
{
    void *bound = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_setsockopt (bound, ZMQ_ROUTING_ID, "server", 6));
    CHECK_RC (zmq_bind (bound, "inproc://connect-rid"));
    void *other = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_setsockopt (other, ZMQ_ROUTING_ID, "other", 5));
    CHECK_RC (zmq_bind (other, "inproc://connect-rid-2"));

    void *client = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (client, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_RC (zmq_setsockopt (client, ZMQ_ROUTING_ID, "client", 6));
    //  The name given to the next connection, usable at once to send.
    CHECK_RC (zmq_setsockopt (client, ZMQ_CONNECT_ROUTING_ID, "alias", 5));
    CHECK_RC (zmq_connect (client, "inproc://connect-rid"));
    SEND_STR (client, "alias", ZMQ_SNDMORE);
    SEND_STR (client, "hi", 0);
    RECV_STR (bound, "client", 0);
    RECV_STR (bound, "hi", 0);
    SEND_STR (bound, "client", ZMQ_SNDMORE);
    SEND_STR (bound, "hello alias", 0);
    RECV_STR (client, "alias", 0);
    RECV_STR (client, "hello alias", 0);

    //  It applies to one connect only: the next peer is known by its own
    //  routing id.
    CHECK_RC (zmq_connect (client, "inproc://connect-rid-2"));
    SET_INT (client, ZMQ_SNDTIMEO, 5000);
    //  The peer's own id arrives with its first message on the pipe; until
    //  the client has read it the name is unknown.
    SEND_STR (other, "client", ZMQ_SNDMORE);
    SEND_STR (other, "from-other", 0);
    RECV_STR (client, "other", 0);
    RECV_STR (client, "from-other", 0);
    SEND_STR (client, "other", ZMQ_SNDMORE);
    SEND_STR (client, "to-other", 0);
    RECV_STR (other, "client", 0);
    RECV_STR (other, "to-other", 0);

    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (bound));
    CHECK_RC (zmq_close (other));
}

static void test_mandatory (void *ctx)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "known", 5));
    CHECK_RC (zmq_bind (router, "inproc://mandatory"));
    CHECK_RC (zmq_connect (dealer, "inproc://mandatory"));
    SEND_STR (dealer, "hi", 0);
    RECV_STR (router, "known", 0);
    RECV_STR (router, "hi", 0);

    //  By default a message to an unknown peer is silently dropped.
    CHECK (GET_INT (router, ZMQ_EVENTS) & ZMQ_POLLOUT);
    SEND_STR (router, "nobody", ZMQ_SNDMORE);
    SEND_STR (router, "lost", 0);
    SEND_STR (router, "known", ZMQ_SNDMORE);
    SEND_STR (router, "found", 0);
    RECV_STR (dealer, "found", 0);
    CHECK (RCVMORE (dealer) == 0);

    //  With ROUTER_MANDATORY the id frame fails with EHOSTUNREACH.
    SET_INT (router, ZMQ_ROUTER_MANDATORY, 1);
    CHECK_ERR (zmq_send (router, "nobody", 6, ZMQ_SNDMORE), EHOSTUNREACH);
    CHECK_ERR (zmq_send (router, "nobody", 6, ZMQ_SNDMORE | ZMQ_DONTWAIT),
               EHOSTUNREACH);
    //  The failed id leaves no half-sent message behind.
    SEND_STR (router, "known", ZMQ_SNDMORE);
    SEND_STR (router, "still-found", 0);
    RECV_STR (dealer, "still-found", 0);
    CHECK (RCVMORE (dealer) == 0);
    char buf[32];
    CHECK_ERR (zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (dealer));

    //  ROUTER_MANDATORY and a full pipe: EAGAIN instead of a silent drop.
    router = SOCKET (ctx, ZMQ_ROUTER);
    dealer = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (router, ZMQ_ROUTER_MANDATORY, 1);
    SET_INT (router, ZMQ_SNDHWM, 1);
    SET_INT (dealer, ZMQ_RCVHWM, 1);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "slow", 4));
    CHECK_RC (zmq_bind (router, "inproc://mandatory-hwm"));
    CHECK_RC (zmq_connect (dealer, "inproc://mandatory-hwm"));
    SEND_STR (dealer, "hi", 0);
    RECV_STR (router, "slow", 0);
    RECV_STR (router, "hi", 0);
    int sent = 0;
    while (sent < 100) {
        if (zmq_send (router, "slow", 4, ZMQ_SNDMORE | ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            break;
        }
        SEND_STR (router, "data", ZMQ_DONTWAIT);
        sent++;
    }
    CHECK (sent == 2);
    //  With ROUTER_MANDATORY, POLLOUT means some peer can take a message.
    CHECK ((GET_INT (router, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
    for (int i = 0; i < sent; i++)
        RECV_STR (dealer, "data", 0);
    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (dealer));

    //  Without ROUTER_MANDATORY the same overflow is dropped silently.
    router = SOCKET (ctx, ZMQ_ROUTER);
    dealer = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (router, ZMQ_SNDHWM, 1);
    SET_INT (dealer, ZMQ_RCVHWM, 1);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "slow", 4));
    CHECK_RC (zmq_bind (router, "inproc://dropping-hwm"));
    CHECK_RC (zmq_connect (dealer, "inproc://dropping-hwm"));
    SEND_STR (dealer, "hi", 0);
    RECV_STR (router, "slow", 0);
    RECV_STR (router, "hi", 0);
    for (int i = 0; i < 10; i++) {
        SEND_STR (router, "slow", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        char body[16];
        snprintf (body, sizeof body, "m%d", i);
        SEND_STR (router, body, ZMQ_DONTWAIT);
    }
    //  Without it a ROUTER always reports POLLOUT.
    CHECK (GET_INT (router, ZMQ_EVENTS) & ZMQ_POLLOUT);
    RECV_STR (dealer, "m0", 0);
    RECV_STR (dealer, "m1", 0);
    CHECK_ERR (zmq_recv (dealer, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (dealer));
}

static void test_handover (void *ctx)
{
    char buf[32];

    //  Without ROUTER_HANDOVER the first peer keeps the id.
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_bind (router, "inproc://no-handover"));
    void *first = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (first, ZMQ_ROUTING_ID, "X", 1));
    CHECK_RC (zmq_connect (first, "inproc://no-handover"));
    SEND_STR (first, "one", 0);
    RECV_STR (router, "X", 0);
    RECV_STR (router, "one", 0);
    void *second = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (second, ZMQ_ROUTING_ID, "X", 1));
    CHECK_RC (zmq_connect (second, "inproc://no-handover"));
    zmq_send (second, "two", 3, ZMQ_DONTWAIT);
    SEND_STR (first, "three", 0);
    RECV_STR (router, "X", 0);
    RECV_STR (router, "three", 0);
    SEND_STR (router, "X", ZMQ_SNDMORE);
    SEND_STR (router, "for-first", 0);
    RECV_STR (first, "for-first", 0);
    SET_INT (second, ZMQ_RCVTIMEO, 100);
    CHECK_ERR (zmq_recv (second, buf, sizeof buf, 0), EAGAIN);
    SET_INT (second, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (first));
    CHECK_RC (zmq_close (second));

    //  With it, a new peer with the same id takes the id over.
    router = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (router, ZMQ_ROUTER_HANDOVER, 1);
    CHECK_RC (zmq_bind (router, "inproc://handover"));
    first = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (first, ZMQ_ROUTING_ID, "X", 1));
    CHECK_RC (zmq_connect (first, "inproc://handover"));
    SEND_STR (first, "one", 0);
    RECV_STR (router, "X", 0);
    RECV_STR (router, "one", 0);
    second = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (second, ZMQ_ROUTING_ID, "X", 1));
    CHECK_RC (zmq_connect (second, "inproc://handover"));
    SEND_STR (second, "two", 0);
    RECV_STR (router, "X", 0);
    RECV_STR (router, "two", 0);
    SEND_STR (router, "X", ZMQ_SNDMORE);
    SEND_STR (router, "for-second", 0);
    RECV_STR (second, "for-second", 0);
    SET_INT (first, ZMQ_RCVTIMEO, 100);
    CHECK_ERR (zmq_recv (first, buf, sizeof buf, 0), EAGAIN);
    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (first));
    CHECK_RC (zmq_close (second));
}

static void test_probe_router (void *ctx)
{
    //  A probing DEALER announces itself with an empty message.
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_bind (router, "inproc://probe"));
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "prober", 6));
    SET_INT (dealer, ZMQ_PROBE_ROUTER, 1);
    CHECK_RC (zmq_connect (dealer, "inproc://probe"));
    RECV_STR (router, "prober", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "", 0);
    CHECK (RCVMORE (router) == 0);
    //  The router can answer before the dealer said anything.
    SEND_STR (router, "prober", ZMQ_SNDMORE);
    SEND_STR (router, "welcome", 0);
    RECV_STR (dealer, "welcome", 0);
    CHECK_RC (zmq_close (dealer));

    //  A probing ROUTER sends the empty message too; a DEALER on the other
    //  side receives it as a plain empty message.
    void *bound_dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (bound_dealer, ZMQ_ROUTING_ID, "D", 1));
    CHECK_RC (zmq_bind (bound_dealer, "inproc://probe-dealer"));
    void *prober = SOCKET (ctx, ZMQ_ROUTER);
    SET_INT (prober, ZMQ_PROBE_ROUTER, 1);
    CHECK_RC (zmq_connect (prober, "inproc://probe-dealer"));
    RECV_STR (bound_dealer, "", 0);
    CHECK (RCVMORE (bound_dealer) == 0);
    SEND_STR (bound_dealer, "hello", 0);
    RECV_STR (prober, "D", 0);
    RECV_STR (prober, "hello", 0);
    CHECK_RC (zmq_close (prober));
    CHECK_RC (zmq_close (bound_dealer));

    //  Router to router: the probe carries the prober's routing id.
    void *prober2 = SOCKET (ctx, ZMQ_ROUTER);
    CHECK_RC (zmq_setsockopt (prober2, ZMQ_ROUTING_ID, "P2", 2));
    SET_INT (prober2, ZMQ_PROBE_ROUTER, 1);
    CHECK_RC (zmq_connect (prober2, "inproc://probe"));
    RECV_STR (router, "P2", 0);
    RECV_STR (router, "", 0);
    CHECK (RCVMORE (router) == 0);
    CHECK_RC (zmq_close (prober2));
    CHECK_RC (zmq_close (router));
}

static void test_dealer_patterns (void *ctx)
{
    //  Round-robin: a DEALER spreads messages over its peers in turn.
    void *routers[2];
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (dealer, ZMQ_ROUTING_ID, "d", 1));
    for (int i = 0; i < 2; i++) {
        char ep[32];
        snprintf (ep, sizeof ep, "inproc://dealer-rr-%d", i);
        routers[i] = SOCKET (ctx, ZMQ_ROUTER);
        CHECK_RC (zmq_bind (routers[i], ep));
        CHECK_RC (zmq_connect (dealer, ep));
    }
    for (int i = 0; i < 6; i++) {
        char body[16];
        snprintf (body, sizeof body, "m%d", i);
        SEND_STR (dealer, body, ZMQ_SNDMORE);
        SEND_STR (dealer, "tail", 0);
    }
    for (int i = 0; i < 6; i++) {
        char body[16];
        snprintf (body, sizeof body, "m%d", i);
        RECV_STR (routers[i % 2], "d", 0);
        RECV_STR (routers[i % 2], body, 0);
        RECV_STR (routers[i % 2], "tail", 0);
        CHECK (RCVMORE (routers[i % 2]) == 0);
    }
    //  Replies from both are fair-queued back into the DEALER.
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 3; k++) {
            char body[16];
            snprintf (body, sizeof body, "%d%d", i, k);
            SEND_STR (routers[i], "d", ZMQ_SNDMORE);
            SEND_STR (routers[i], body, 0);
        }
    for (int k = 0; k < 3; k++) {
        int seen = 0;
        for (int j = 0; j < 2; j++) {
            char buf[16];
            CHECK (CHECK_RC (recv_buf (dealer, buf, sizeof buf, 0)) == 2);
            CHECK (buf[1] - '0' == k);
            seen |= 1 << (buf[0] - '0');
        }
        CHECK (seen == 3);
    }
    CHECK_RC (zmq_close (dealer));
    for (int i = 0; i < 2; i++)
        CHECK_RC (zmq_close (routers[i]));

    //  Fair-queueing into a bound DEALER from three DEALERs.
    void *sink = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (sink, "inproc://dealer-fq"));
    void *sources[3];
    for (int i = 0; i < 3; i++) {
        sources[i] = SOCKET (ctx, ZMQ_DEALER);
        CHECK_RC (zmq_connect (sources[i], "inproc://dealer-fq"));
        for (int k = 0; k < 3; k++) {
            char body[16];
            snprintf (body, sizeof body, "%c%d", 'A' + i, k);
            SEND_STR (sources[i], body, 0);
        }
    }
    for (int k = 0; k < 3; k++) {
        int seen = 0;
        for (int j = 0; j < 3; j++) {
            char buf[16];
            CHECK (CHECK_RC (recv_buf (sink, buf, sizeof buf, 0)) == 2);
            CHECK (buf[1] - '0' == k);
            seen |= 1 << (buf[0] - 'A');
        }
        CHECK (seen == 7);
    }
    //  With no peer a DEALER cannot send.
    void *lonely = SOCKET (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_send (lonely, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (lonely));
    CHECK_RC (zmq_close (sink));
    for (int i = 0; i < 3; i++)
        CHECK_RC (zmq_close (sources[i]));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_routing_ids (ctx);
    test_connect_routing_id (ctx);
    test_mandatory (ctx);
    test_handover (ctx);
    test_probe_router (ctx);
    test_dealer_patterns (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
