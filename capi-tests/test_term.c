// Context termination: zmq_ctx_term waits until every socket is closed,
// wakes threads blocked in zmq_recv, zmq_send and zmq_poll with ETERM,
// zmq_ctx_shutdown does the same without waiting, LINGER defaults, and
// pending inproc messages (delivered after the sender closed, never
// blocking termination once both ends are closed).
#include "testutil.h"
#include <pthread.h>

enum op { OP_RECV, OP_SEND, OP_POLL, OP_MSG_RECV };

struct blocked
{
    void *socket;
    enum op op;
    int rc;
    int err;
};

//  Blocks in one call until the context goes away, then closes its socket.
static void *block (void *arg)
{
    struct blocked *b = (struct blocked *) arg;
    char buf[16];
    switch (b->op) {
        case OP_RECV:
            b->rc = zmq_recv (b->socket, buf, sizeof buf, 0);
            break;
        case OP_SEND:
            b->rc = zmq_send (b->socket, "x", 1, 0);
            break;
        case OP_POLL: {
            zmq_pollitem_t item = {b->socket, 0, ZMQ_POLLIN, 0};
            b->rc = zmq_poll (&item, 1, -1);
            break;
        }
        case OP_MSG_RECV: {
            zmq_msg_t msg;
            CHECK_RC (zmq_msg_init (&msg));
            b->rc = zmq_msg_recv (&msg, b->socket, 0);
            CHECK_RC (zmq_msg_close (&msg));
            break;
        }
    }
    b->err = errno;
    CHECK_RC (zmq_close (b->socket));
    return NULL;
}

struct term_args
{
    void *ctx;
    int rc;
    volatile int done;
};

static void *term_thread (void *arg)
{
    struct term_args *t = (struct term_args *) arg;
    t->rc = zmq_ctx_term (t->ctx);
    __atomic_store_n (&t->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void test_term_waits_for_close (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    //  Plain sockets here: a receive timeout would end the blocking calls
    //  before the context does.
    void *s = PLAIN_SOCKET (ctx, ZMQ_DEALER);
    CHECK_RC (zmq_bind (s, "inproc://waits"));
    struct term_args t = {ctx, 0, 0};
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, term_thread, &t) == 0);
    msleep (200);
    //  Still open: termination has not finished.
    CHECK (!__atomic_load_n (&t.done, __ATOMIC_SEQ_CST));
    //  Every call on the socket now fails with ETERM.
    char buf[4];
    CHECK_ERR (zmq_recv (s, buf, sizeof buf, 0), ETERM);
    CHECK_ERR (zmq_send (s, "x", 1, ZMQ_DONTWAIT), ETERM);
    CHECK (!__atomic_load_n (&t.done, __ATOMIC_SEQ_CST));
    CHECK_RC (zmq_close (s));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (t.rc == 0);
}

static void test_blocked_calls (int shutdown_first)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct blocked b[5] = {
      {PLAIN_SOCKET (ctx, ZMQ_PULL), OP_RECV, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_PUSH), OP_SEND, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_SUB), OP_POLL, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_REP), OP_MSG_RECV, 0, 0},
      {PLAIN_SOCKET (ctx, ZMQ_DEALER), OP_RECV, 0, 0}};
    //  Some have peers and bindings, some not; none will get a message.
    CHECK_RC (zmq_bind (b[0].socket, "inproc://blocked-pull"));
    CHECK_RC (zmq_bind (b[1].socket, "inproc://blocked-push"));
    CHECK_RC (zmq_connect (b[2].socket, "inproc://blocked-nowhere"));
    CHECK_RC (zmq_setsockopt (b[2].socket, ZMQ_SUBSCRIBE, "", 0));
    CHECK_RC (zmq_bind (b[3].socket, "inproc://blocked-rep"));
    CHECK_RC (zmq_connect (b[4].socket, "inproc://blocked-rep"));
    pthread_t threads[5];
    for (int i = 0; i < 5; i++)
        CHECK (pthread_create (&threads[i], NULL, block, &b[i]) == 0);
    msleep (100);

    if (shutdown_first) {
        //  zmq_ctx_shutdown wakes everyone and returns at once; new sockets
        //  are refused; zmq_ctx_term then waits for the closes.
        CHECK_RC (zmq_ctx_shutdown (ctx));
        for (int i = 0; i < 5; i++)
            CHECK (pthread_join (threads[i], NULL) == 0);
        CHECK (zmq_socket (ctx, ZMQ_PAIR) == NULL);
        CHECK (errno == ETERM);
        CHECK_RC (zmq_ctx_term (ctx));
    } else {
        CHECK_RC (zmq_ctx_term (ctx));
        for (int i = 0; i < 5; i++)
            CHECK (pthread_join (threads[i], NULL) == 0);
    }
    for (int i = 0; i < 5; i++) {
        if (b[i].rc != -1 || b[i].err != ETERM) {
            fprintf (stderr, "blocked call %d: rc %d errno %d\n", i, b[i].rc,
                     b[i].err);
            CHECK (0);
        }
    }
}

static void test_linger_defaults (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    const int types[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_REQ,  ZMQ_REP,
                         ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL, ZMQ_PUSH,
                         ZMQ_XPUB, ZMQ_STREAM};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = PLAIN_SOCKET (ctx, types[i]);
        CHECK (GET_INT (s, ZMQ_LINGER) == -1);
        CHECK_RC (zmq_close (s));
    }
    //  Subscribers do not linger on their subscriptions.
    void *sub = PLAIN_SOCKET (ctx, ZMQ_SUB);
    void *xsub = PLAIN_SOCKET (ctx, ZMQ_XSUB);
    CHECK (GET_INT (sub, ZMQ_LINGER) == 0);
    CHECK (GET_INT (xsub, ZMQ_LINGER) == 0);
    SET_INT (sub, ZMQ_LINGER, 250);
    CHECK (GET_INT (sub, ZMQ_LINGER) == 250);
    CHECK_RC (zmq_close (sub));
    CHECK_RC (zmq_close (xsub));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_pending_messages (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());

    //  Messages already sent are delivered after the sender closed.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "inproc://pending"));
    CHECK_RC (zmq_connect (push, "inproc://pending"));
    for (int i = 0; i < 10; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "m%d", i);
        SEND_STR (push, buf, 0);
    }
    SEND_STR (push, "multi", ZMQ_SNDMORE);
    SEND_STR (push, "part", 0);
    CHECK_RC (zmq_close (push));
    for (int i = 0; i < 10; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "m%d", i);
        RECV_STR (pull, buf, 0);
    }
    RECV_STR (pull, "multi", 0);
    RECV_STR (pull, "part", 0);
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (pull));

    //  Sockets of every classic type, connected in pairs with messages left
    //  unread both ways, closed with the default (infinite) linger: once
    //  both ends are closed, termination does not wait for anyone.
    const int pairs[][2] = {{ZMQ_PAIR, ZMQ_PAIR},     {ZMQ_PUSH, ZMQ_PULL},
                            {ZMQ_REQ, ZMQ_REP},       {ZMQ_DEALER, ZMQ_ROUTER},
                            {ZMQ_PUB, ZMQ_SUB},       {ZMQ_XPUB, ZMQ_XSUB},
                            {ZMQ_DEALER, ZMQ_DEALER}, {ZMQ_ROUTER, ZMQ_DEALER}};
    const int npairs = sizeof pairs / sizeof pairs[0];
    void *sockets[sizeof pairs / sizeof pairs[0]][2];
    for (int i = 0; i < npairs; i++) {
        char ep[32];
        snprintf (ep, sizeof ep, "inproc://pair-%d", i);
        void *a = PLAIN_SOCKET (ctx, pairs[i][0]);
        void *b = PLAIN_SOCKET (ctx, pairs[i][1]);
        CHECK_RC (zmq_bind (a, ep));
        CHECK_RC (zmq_connect (b, ep));
        sockets[i][0] = a;
        sockets[i][1] = b;
        if (pairs[i][1] == ZMQ_SUB)
            CHECK_RC (zmq_setsockopt (b, ZMQ_SUBSCRIBE, "", 0));
        if (pairs[i][1] == ZMQ_XSUB)
            CHECK (zmq_send (b, "\1", 1, 0) == 1);
        for (int side = 0; side < 2; side++) {
            void *s = sockets[i][side];
            const int type = pairs[i][side];
            const int count = type == ZMQ_REQ ? 1
                              : type == ZMQ_ROUTER || type == ZMQ_SUB
                                  || type == ZMQ_XSUB || type == ZMQ_REP
                                  || type == ZMQ_PULL
                                ? 0
                                : 5;
            for (int k = 0; k < count; k++)
                CHECK (zmq_send (s, "pending", 7, ZMQ_DONTWAIT) == 7);
        }
    }
    //  A STREAM, and a PUSH whose endpoint was never bound, with a queued
    //  message.
    void *stream = PLAIN_SOCKET (ctx, ZMQ_STREAM);
    CHECK_RC (zmq_bind (stream, "inproc://stream"));
    void *orphan = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (orphan, "inproc://never-bound"));
    CHECK (zmq_send (orphan, "lost", 4, ZMQ_DONTWAIT) == 4);

    for (int i = 0; i < npairs; i++) {
        CHECK_RC (zmq_close (sockets[i][0]));
        CHECK_RC (zmq_close (sockets[i][1]));
    }
    CHECK_RC (zmq_close (stream));
    CHECK_RC (zmq_close (orphan));
    const long long start = now_ms ();
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (now_ms () - start < 5000);
}

static void test_linger_zero (void)
{
    //  LINGER 0: close discards what is still queued for a peer that never
    //  reads it, and termination is immediate.
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    void *pull = PLAIN_SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://linger-zero"));
    CHECK_RC (zmq_connect (push, "inproc://linger-zero"));
    SET_INT (push, ZMQ_LINGER, 0);
    for (int i = 0; i < 100; i++)
        CHECK (zmq_send (push, "x", 1, ZMQ_DONTWAIT) == 1);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    const long long start = now_ms ();
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (now_ms () - start < 5000);
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_term_waits_for_close ();
    test_blocked_calls (0);
    test_blocked_calls (1);
    test_linger_defaults ();
    test_pending_messages ();
    test_linger_zero ();
    //  The old names still work.
    void *ctx = zmq_init (1);
    CHECK (ctx);
    void *s = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_term (ctx));
    return 0;
}
