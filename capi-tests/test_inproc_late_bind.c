/*  An inproc socket that connects before the name is bound, sends, and
    closes before the bind: what it sent is delivered once the name is
    bound, whatever its ZMQ_LINGER, as in libzmq. */
#include "testutil.h"

#include <stdio.h>

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    const int lingers[] = {-1, 0, 100};
    for (int i = 0; i < 3; i++) {
        char endpoint[32];
        snprintf (endpoint, sizeof endpoint, "inproc://late-%d", i);
        void *early = PLAIN_SOCKET (ctx, ZMQ_PUSH);
        SET_INT (early, ZMQ_LINGER, lingers[i]);
        CHECK_RC (zmq_connect (early, endpoint));
        SEND_STR (early, "first", 0);
        SEND_STR (early, "second", ZMQ_SNDMORE);
        SEND_STR (early, "part", 0);
        CHECK_RC (zmq_close (early));

        void *late = SOCKET (ctx, ZMQ_PULL);
        CHECK_RC (zmq_bind (late, endpoint));
        RECV_STR (late, "first", 0);
        RECV_STR (late, "second", 0);
        CHECK (RCVMORE (late));
        RECV_STR (late, "part", 0);
        EXPECT_NOTHING (late, 50);
        CHECK_RC (zmq_close (late));
    }
    /*  A name that is never bound does not hold up termination. */
    void *orphan = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (orphan, "inproc://never-bound"));
    SEND_STR (orphan, "lost", 0);
    CHECK_RC (zmq_close (orphan));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
