/*  Thread-safe sockets over tcp: several threads send on one CLIENT while
    several others receive on its SERVER and reply, and more threads receive the
    replies on the CLIENT, all at once; every message and every reply is
    delivered exactly once (thread_safe.h; the same over inproc is
    test_thread_safe_inproc). Also: threads blocked in receive on one socket
    are all served as messages come (none sleeps on while messages wait). */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include "thread_safe.h"

/*  Several threads block in a receive on one GATHER; as many messages arrive
    one after another (each only once the previous one was taken): each must
    wake a receiver, whatever thread sleeps. */
static void *gather_reader (void *arg)
{
    void *gather = arg;
    char buf[8];
    int n = zmq_recv (gather, buf, sizeof buf, 0);
    if (n != 1)
        failed = 1;
    else
        mark (seen_request, &requests, buf[0]);
    return NULL;
}

static void many_sleepers (void *ctx)
{
    memset (seen_request, 0, sizeof seen_request);
    requests = 0;
    void *gather = SOCKET (ctx, ZMQ_GATHER);
    void *scatter = SOCKET (ctx, ZMQ_SCATTER);
    CHECK_RC (zmq_bind (gather, "inproc://sleepers"));
    CHECK_RC (zmq_connect (scatter, "inproc://sleepers"));
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        CHECK (pthread_create (&t[i], NULL, gather_reader, gather) == 0);
    msleep (100);
    for (char i = 0; i < THREADS; i++) {
        CHECK_RC (zmq_send (scatter, &i, 1, 0));
        /*  Wait until it was taken before the next one. */
        for (int w = 0; w < 500; w++) {
            pthread_mutex_lock (&lock);
            int n = requests;
            pthread_mutex_unlock (&lock);
            if (n > i)
                break;
            msleep (10);
        }
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join (t[i], NULL);
    CHECK (!failed);
    CHECK_EQ (requests, THREADS);
    CHECK_RC (zmq_close (scatter));
    CHECK_RC (zmq_close (gather));
}

int main (void)
{
    TEST_TIMEOUT (50);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    run (ctx, "tcp://127.0.0.1:*");
    many_sleepers (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
