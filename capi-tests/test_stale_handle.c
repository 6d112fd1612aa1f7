/*  A closed socket handle, and a terminated context handle, answer as closed
    (ENOTSOCK, EFAULT) however many sockets and contexts were created after
    them, and never drive a socket created later.
    libzmq frees a socket at zmq_close, so using the handle afterwards reads
    freed memory there. */
// libzmq: skip a closed handle is freed memory in libzmq; this library promises ENOTSOCK
#include "testutil.h"

#define FRESH 200

static void check_stale_socket (void *stale)
{
    char buf[8];
    int value = 0;
    size_t size = sizeof value;
    CHECK_ERR (zmq_send (stale, "x", 1, ZMQ_DONTWAIT), ENOTSOCK);
    CHECK_ERR (zmq_recv (stale, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSOCK);
    CHECK_ERR (zmq_setsockopt (stale, ZMQ_SNDHWM, &value, sizeof value),
               ENOTSOCK);
    CHECK_ERR (zmq_getsockopt (stale, ZMQ_TYPE, &value, &size), ENOTSOCK);
    CHECK_ERR (zmq_bind (stale, "inproc://stale-new"), ENOTSOCK);
    CHECK_ERR (zmq_connect (stale, "inproc://stale-fresh"), ENOTSOCK);
    zmq_pollitem_t item = {stale, 0, ZMQ_POLLIN, 0};
    CHECK_ERR (zmq_poll (&item, 1, 0), ENOTSOCK);
    CHECK_ERR (zmq_close (stale), ENOTSOCK);
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());

    void *stale = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_close (stale));
    check_stale_socket (stale);

    /*  Many sockets opened and closed after it, then some left open. */
    for (int round = 0; round < 5; round++) {
        void *batch[FRESH];
        for (int i = 0; i < FRESH; i++)
            batch[i] = PLAIN_SOCKET (ctx, ZMQ_PUSH);
        for (int i = 0; i < FRESH; i++) {
            CHECK (batch[i] != stale);
            CHECK_RC (zmq_close (batch[i]));
        }
    }
    void *fresh[FRESH];
    for (int i = 0; i < FRESH; i++) {
        fresh[i] = PLAIN_SOCKET (ctx, ZMQ_PAIR);
        SET_INT (fresh[i], ZMQ_SNDHWM, 100 + i);
    }
    check_stale_socket (stale);

    /*  The stale handle changed none of the new sockets. */
    for (int i = 0; i < FRESH; i++) {
        CHECK_EQ (GET_INT (fresh[i], ZMQ_SNDHWM), 100 + i);
        CHECK_EQ (GET_INT (fresh[i], ZMQ_TYPE), ZMQ_PAIR);
    }
    /*  And they work: the endpoint the stale handle tried is free. */
    CHECK_RC (zmq_bind (fresh[0], "inproc://stale-new"));
    CHECK_RC (zmq_connect (fresh[1], "inproc://stale-new"));
    SET_INT (fresh[0], ZMQ_RCVTIMEO, 5000);
    SEND_STR (fresh[1], "fresh", 0);
    RECV_STR (fresh[0], "fresh", 0);
    for (int i = 0; i < FRESH; i++)
        CHECK_RC (zmq_close (fresh[i]));

    /*  A terminated context handle. */
    CHECK_RC (zmq_ctx_term (ctx));
    void *later = CHECK_PTR (zmq_ctx_new ());
    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PAIR), EFAULT);
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_IO_THREADS), EFAULT);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 2), EFAULT);
    CHECK_ERR (zmq_ctx_term (ctx), EFAULT);
    CHECK_EQ (zmq_ctx_get (later, ZMQ_IO_THREADS), 1);
    void *s = PLAIN_SOCKET (later, ZMQ_PAIR);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (later));
    return 0;
}
