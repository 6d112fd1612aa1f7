/*  Thread-safe sockets over inproc: several threads send on one CLIENT while
    several others receive on its SERVER and reply, and more threads receive the
    replies on the CLIENT, all at once; every message and every reply is
    delivered exactly once (thread_safe.h). */
// libzmq: skip libzmq 4.3.4 (drafts build) deadlocks here in about 1 run of 10: a send on an inproc thread-safe socket takes the peer socket's lock while holding its own, and the peer's send does the same the other way round
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include "thread_safe.h"

int main (void)
{
    TEST_TIMEOUT (50);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    run (ctx, "inproc://thread-safe");
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
