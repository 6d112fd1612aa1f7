// REQ/REP over inproc: the request-reply state machines (EFSM), multipart
// requests and replies, REQ round-robin, REQ_RELAXED and REQ_CORRELATE, and
// the envelopes seen by ROUTER and DEALER on the other side.
#include "testutil.h"

static void test_exchange (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_bind (rep, "inproc://reqrep"));
    CHECK_RC (zmq_connect (req, "inproc://reqrep"));

    //  REQ must send first; REP must receive first.
    char buf[32];
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, 0), EFSM);
    CHECK_ERR (zmq_send (rep, "x", 1, ZMQ_DONTWAIT), EFSM);
    CHECK_ERR (zmq_send (rep, "x", 1, 0), EFSM);
    CHECK ((GET_INT (req, ZMQ_EVENTS) & ZMQ_POLLIN) == 0);
    CHECK ((GET_INT (rep, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);

    for (int i = 0; i < 3; i++) {
        SEND_STR (req, "question", 0);
        //  A second request before the reply is refused.
        CHECK_ERR (zmq_send (req, "again", 5, 0), EFSM);
        CHECK ((GET_INT (req, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
        RECV_STR (rep, "question", 0);
        CHECK (RCVMORE (rep) == 0);
        //  REP must answer before it takes the next request.
        CHECK_ERR (zmq_recv (rep, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
        CHECK (GET_INT (rep, ZMQ_EVENTS) & ZMQ_POLLOUT);
        SEND_STR (rep, "answer", 0);
        CHECK_ERR (zmq_send (rep, "x", 1, 0), EFSM);
        RECV_STR (req, "answer", 0);
        CHECK (RCVMORE (req) == 0);
        CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
        CHECK (GET_INT (req, ZMQ_EVENTS) & ZMQ_POLLOUT);
    }

    //  Multipart requests and replies travel whole; the state changes only
    //  after the last part.
    SEND_STR (req, "a", ZMQ_SNDMORE);
    SEND_STR (req, "", ZMQ_SNDMORE);
    SEND_STR (req, "c", 0);
    RECV_STR (rep, "a", 0);
    CHECK (RCVMORE (rep) == 1);
    CHECK_ERR (zmq_send (rep, "x", 1, 0), EFSM);
    RECV_STR (rep, "", 0);
    CHECK (RCVMORE (rep) == 1);
    RECV_STR (rep, "c", 0);
    CHECK (RCVMORE (rep) == 0);
    SEND_STR (rep, "x", ZMQ_SNDMORE);
    SEND_STR (rep, "y", 0);
    RECV_STR (req, "x", 0);
    CHECK (RCVMORE (req) == 1);
    CHECK_ERR (zmq_send (req, "z", 1, 0), EFSM);
    RECV_STR (req, "y", 0);
    CHECK (RCVMORE (req) == 0);

    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

static void test_round_robin (void *ctx)
{
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *reps[2];
    for (int i = 0; i < 2; i++) {
        char ep[32];
        snprintf (ep, sizeof ep, "inproc://rr-%d", i);
        reps[i] = SOCKET (ctx, ZMQ_REP);
        CHECK_RC (zmq_bind (reps[i], ep));
        CHECK_RC (zmq_connect (req, ep));
    }
    //  Requests alternate between the two services in connect order.
    for (int i = 0; i < 6; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "req%d", i);
        SEND_STR (req, buf, 0);
        void *rep = reps[i % 2];
        RECV_STR (rep, buf, 0);
        CHECK_ERR (zmq_recv (reps[(i + 1) % 2], buf, sizeof buf,
                             ZMQ_DONTWAIT),
                   EAGAIN);
        SEND_STR (rep, i % 2 ? "one" : "zero", 0);
        RECV_STR (req, i % 2 ? "one" : "zero", 0);
    }
    CHECK_RC (zmq_close (req));
    for (int i = 0; i < 2; i++)
        CHECK_RC (zmq_close (reps[i]));
}

static void test_relaxed (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_REQ_RELAXED, 1);
    CHECK_RC (zmq_bind (rep, "inproc://relaxed"));
    CHECK_RC (zmq_connect (req, "inproc://relaxed"));

    //  Receiving before any request is still a state error.
    char buf[32];
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);

    //  A relaxed REQ may send again without waiting for the reply.
    SEND_STR (req, "first", 0);
    SEND_STR (req, "second", 0);
    RECV_STR (rep, "first", 0);
    SEND_STR (rep, "reply-first", 0);
    RECV_STR (rep, "second", 0);
    SEND_STR (rep, "reply-second", 0);
    //  Without correlation a late reply to an abandoned request is not
    //  recognised as stale: it comes first.
    RECV_STR (req, "reply-first", 0);
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);

    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
}

static void test_correlate (void *ctx)
{
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_REQ_RELAXED, 1);
    SET_INT (req, ZMQ_REQ_CORRELATE, 1);
    CHECK_RC (zmq_bind (rep, "inproc://correlate"));
    CHECK_RC (zmq_connect (req, "inproc://correlate"));

    SEND_STR (req, "first", 0);
    SEND_STR (req, "second", 0);
    RECV_STR (rep, "first", 0);
    SEND_STR (rep, "reply-first", 0);
    RECV_STR (rep, "second", 0);
    SEND_STR (rep, "reply-second", 0);
    //  The reply to the abandoned request carries the old request id and
    //  is dropped.
    RECV_STR (req, "reply-second", 0);
    CHECK (RCVMORE (req) == 0);

    //  Normal exchange still works.
    SEND_STR (req, "third", 0);
    RECV_STR (rep, "third", 0);
    SEND_STR (rep, "reply-third", 0);
    RECV_STR (req, "reply-third", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));

    //  Seen from a ROUTER, a correlating REQ prefixes each request with a
    //  4-byte request id that changes per request, before the delimiter.
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_REQ_RELAXED, 1);
    SET_INT (req, ZMQ_REQ_CORRELATE, 1);
    CHECK_RC (zmq_setsockopt (req, ZMQ_ROUTING_ID, "client", 6));
    CHECK_RC (zmq_bind (router, "inproc://correlate-router"));
    CHECK_RC (zmq_connect (req, "inproc://correlate-router"));
    unsigned char ids[2][4];
    for (int i = 0; i < 2; i++) {
        SEND_STR (req, "hello", 0);
        RECV_STR (router, "client", 0);
        CHECK (RCVMORE (router));
        CHECK (CHECK_RC (zmq_recv (router, ids[i], 4, 0)) == 4);
        CHECK (RCVMORE (router));
        RECV_STR (router, "", 0);
        CHECK (RCVMORE (router));
        RECV_STR (router, "hello", 0);
        CHECK (RCVMORE (router) == 0);
    }
    CHECK (memcmp (ids[0], ids[1], 4) != 0);
    //  Replying with the first (stale) id is ignored; the current one is
    //  delivered.
    for (int i = 0; i < 2; i++) {
        SEND_STR (router, "client", ZMQ_SNDMORE);
        CHECK (CHECK_RC (zmq_send (router, ids[i], 4, ZMQ_SNDMORE)) == 4);
        SEND_STR (router, "", ZMQ_SNDMORE);
        SEND_STR (router, i ? "current" : "stale", 0);
    }
    RECV_STR (req, "current", 0);
    CHECK (RCVMORE (req) == 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (router));
}

static void test_envelopes (void *ctx)
{
    //  REQ -> ROUTER: [routing id][empty delimiter][body...].
    void *router = SOCKET (ctx, ZMQ_ROUTER);
    void *req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_setsockopt (req, ZMQ_ROUTING_ID, "R1", 2));
    CHECK_RC (zmq_bind (router, "inproc://envelope-router"));
    CHECK_RC (zmq_connect (req, "inproc://envelope-router"));
    SEND_STR (req, "body1", ZMQ_SNDMORE);
    SEND_STR (req, "body2", 0);
    RECV_STR (router, "R1", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "body1", 0);
    CHECK (RCVMORE (router));
    RECV_STR (router, "body2", 0);
    CHECK (RCVMORE (router) == 0);
    SEND_STR (router, "R1", ZMQ_SNDMORE);
    SEND_STR (router, "", ZMQ_SNDMORE);
    SEND_STR (router, "reply", 0);
    RECV_STR (req, "reply", 0);
    CHECK (RCVMORE (req) == 0);

    //  A reply without the empty delimiter is not a valid reply for REQ and
    //  is dropped; the next proper one is delivered.
    SEND_STR (req, "again", 0);
    RECV_STR (router, "R1", 0);
    RECV_STR (router, "", 0);
    RECV_STR (router, "again", 0);
    SEND_STR (router, "R1", ZMQ_SNDMORE);
    SEND_STR (router, "no-delimiter", 0);
    SEND_STR (router, "R1", ZMQ_SNDMORE);
    SEND_STR (router, "", ZMQ_SNDMORE);
    SEND_STR (router, "good", 0);
    RECV_STR (req, "good", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (router));

    //  DEALER -> REP: the DEALER provides the delimiter itself; REP hides
    //  the envelope from the application and restores it on the reply.
    void *rep = SOCKET (ctx, ZMQ_REP);
    void *dealer = SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (rep, "inproc://envelope-rep"));
    CHECK_RC (zmq_connect (dealer, "inproc://envelope-rep"));
    SEND_STR (dealer, "hop", ZMQ_SNDMORE);
    SEND_STR (dealer, "", ZMQ_SNDMORE);
    SEND_STR (dealer, "request", 0);
    RECV_STR (rep, "request", 0);
    CHECK (RCVMORE (rep) == 0);
    SEND_STR (rep, "response", 0);
    RECV_STR (dealer, "hop", 0);
    CHECK (RCVMORE (dealer));
    RECV_STR (dealer, "", 0);
    CHECK (RCVMORE (dealer));
    RECV_STR (dealer, "response", 0);
    CHECK (RCVMORE (dealer) == 0);
    CHECK_RC (zmq_close (dealer));
    CHECK_RC (zmq_close (rep));

    //  REQ -> ROUTER/DEALER -> REP by hand, like a broker: the REP still
    //  sees only the body, and the reply finds its way back.
    void *front = SOCKET (ctx, ZMQ_ROUTER);
    void *back = SOCKET (ctx, ZMQ_DEALER);
    rep = SOCKET (ctx, ZMQ_REP);
    req = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_bind (front, "inproc://broker-front"));
    CHECK_RC (zmq_bind (back, "inproc://broker-back"));
    CHECK_RC (zmq_connect (rep, "inproc://broker-back"));
    CHECK_RC (zmq_connect (req, "inproc://broker-front"));
    SEND_STR (req, "work", 0);
    for (int more = 1; more;) {
        zmq_msg_t part;
        CHECK_RC (zmq_msg_init (&part));
        CHECK_RC (zmq_msg_recv (&part, front, 0));
        more = zmq_msg_more (&part);
        CHECK_RC (zmq_msg_send (&part, back, more ? ZMQ_SNDMORE : 0));
    }
    RECV_STR (rep, "work", 0);
    CHECK (RCVMORE (rep) == 0);
    SEND_STR (rep, "done", 0);
    int parts = 0;
    for (int more = 1; more; parts++) {
        zmq_msg_t part;
        CHECK_RC (zmq_msg_init (&part));
        CHECK_RC (zmq_msg_recv (&part, back, 0));
        more = zmq_msg_more (&part);
        CHECK_RC (zmq_msg_send (&part, front, more ? ZMQ_SNDMORE : 0));
    }
    CHECK (parts == 3);
    RECV_STR (req, "done", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_close (front));
    CHECK_RC (zmq_close (back));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_exchange (ctx);
    test_round_robin (ctx);
    test_relaxed (ctx);
    test_correlate (ctx);
    test_envelopes (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
