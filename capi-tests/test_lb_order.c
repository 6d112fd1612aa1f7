/*  The order in which a load-balancing socket (PUSH, DEALER) serves its
    pipes, as libzmq's: round-robin in the order the pipes came, and a pipe
    that comes after a send is served after the ones already there (the turn
    wraps at once), not next. czmq's zpoller selftest relies on it. */
#include "testutil.h"

static int pending (void *s)
{
    return GET_INT (s, ZMQ_EVENTS) & ZMQ_POLLIN;
}

int main (void)
{
    TEST_TIMEOUT (10);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (push, "inproc://lb-order"));
    void *a = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (a, "inproc://lb-order"));
    SEND_STR (push, "one", 0);
    RECV_STR (a, "one", 0);

    /*  A second peer arrives: the next message still goes to the first. */
    void *b = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (b, "inproc://lb-order"));
    /*  Reading ZMQ_EVENTS makes the PUSH take the new pipe in (libzmq
        otherwise does so only when it next looks at its commands). */
    CHECK (GET_INT (push, ZMQ_EVENTS) & ZMQ_POLLOUT);
    SEND_STR (push, "two", 0);
    SEND_STR (push, "three", 0);
    SEND_STR (push, "four", 0);
    RECV_STR (a, "two", 0);
    RECV_STR (b, "three", 0);
    RECV_STR (a, "four", 0);
    msleep (50);
    CHECK (!pending (a) && !pending (b));

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
