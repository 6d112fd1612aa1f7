/*  ZMQ_CONFLATE acts only on the socket types zmq_setsockopt(3) lists (PULL,
    PUSH, SUB, PUB, DEALER). Any socket accepts and reads back the option, but
    a ROUTER (or a PAIR) with it set still delivers every message. */
#include "testutil.h"

#include <stdio.h>

static int endpoint_nbr;

/*  Binds one socket, connects the other, over inproc or tcp; returns after
    the connection is up when over tcp. */
static void link_up (void *bound, void *connected, int tcp)
{
    char endpoint[64];
    if (tcp) {
        CHECK_RC (zmq_bind (bound, "tcp://127.0.0.1:*"));
        size_t size = sizeof endpoint;
        CHECK_RC (
          zmq_getsockopt (bound, ZMQ_LAST_ENDPOINT, endpoint, &size));
    } else {
        snprintf (endpoint, sizeof endpoint, "inproc://conflate-%d",
                  endpoint_nbr++);
        CHECK_RC (zmq_bind (bound, endpoint));
    }
    CHECK_RC (zmq_connect (connected, endpoint));
}

/*  A ROUTER with CONFLATE set, bound or connecting, gets all five messages
    of a DEALER. */
static void router_keeps_all (void *ctx, int router_binds, int tcp)
{
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    SET_INT (router, ZMQ_CONFLATE, 1);
    CHECK_EQ (GET_INT (router, ZMQ_CONFLATE), 1);
    if (router_binds)
        link_up (router, dealer, tcp);
    else
        link_up (dealer, router, tcp);
    char body[8];
    for (int i = 0; i < 5; i++) {
        snprintf (body, sizeof body, "m%d", i);
        SEND_STR (dealer, body, 0);
    }
    msleep (100);
    for (int i = 0; i < 5; i++) {
        char id[16];
        CHECK (recv_buf (router, id, sizeof id, 0) > 0);
        CHECK (RCVMORE (router));
        snprintf (body, sizeof body, "m%d", i);
        RECV_STR (router, body, 0);
    }
    CHECK_RC (zmq_close (router));
    CHECK_RC (zmq_close (dealer));
}

/*  A PAIR with CONFLATE set, connecting, gets all five. */
static void pair_keeps_all (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    SET_INT (b, ZMQ_CONFLATE, 1);
    link_up (a, b, 0);
    SEND_STR (a, "1", 0);
    SEND_STR (a, "2", 0);
    SEND_STR (a, "3", 0);
    RECV_STR (b, "1", 0);
    RECV_STR (b, "2", 0);
    RECV_STR (b, "3", 0);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

/*  A conflating PULL (connecting over inproc, bound over tcp) keeps only the
    newest message. */
static void pull_keeps_last (void *ctx, int tcp)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_CONFLATE, 1);
    if (tcp)
        link_up (pull, push, 1);
    else
        link_up (push, pull, 0);
    SEND_STR (push, "warm-up", 0);
    RECV_STR (pull, "warm-up", 0);
    SEND_STR (push, "old", 0);
    SEND_STR (push, "older", 0);
    SEND_STR (push, "newest", 0);
    msleep (200);
    RECV_STR (pull, "newest", 0);
    EXPECT_NOTHING (pull, 100);
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    for (int tcp = 0; tcp <= 1; tcp++) {
        router_keeps_all (ctx, 1, tcp);
        router_keeps_all (ctx, 0, tcp);
        pull_keeps_last (ctx, tcp);
    }
    pair_keeps_all (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
