/*  After zmq_ctx_shutdown, a socket's options still work until the socket
    itself has seen the termination (a call that processes its commands:
    send, recv, bind, connect, ZMQ_EVENTS, zmq_poll); from then on they answer
    ETERM, as in libzmq. zmq_close always works. */
#include "testutil.h"

#include <pthread.h>

static void *blocked_recv (void *s)
{
    char buf[8];
    CHECK_ERR (zmq_recv (s, buf, sizeof buf, 0), ETERM);
    /*  This socket has seen the termination. */
    int linger = 0;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger), ETERM);
    CHECK_RC (zmq_close (s));
    return NULL;
}

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *quiet = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    void *waiting = PLAIN_SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (quiet, "inproc://shutdown-options"));
    SEND_STR (quiet, "unsent", 0);
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, blocked_recv, waiting) == 0);
    msleep (50);

    CHECK_RC (zmq_ctx_shutdown (ctx));
    CHECK (pthread_join (thread, NULL) == 0);

    /*  The quiet socket made no call since: ZMQ_LINGER is still settable. */
    SET_INT (quiet, ZMQ_LINGER, 0);
    CHECK_EQ (GET_INT (quiet, ZMQ_LINGER), 0);
    CHECK_EQ (GET_INT (quiet, ZMQ_TYPE), ZMQ_PUSH);
    /*  A call that processes commands sees the termination... */
    CHECK_ERR (zmq_send (quiet, "x", 1, ZMQ_DONTWAIT), ETERM);
    int value = 0;
    size_t size = sizeof value;
    CHECK_ERR (zmq_getsockopt (quiet, ZMQ_TYPE, &value, &size), ETERM);
    /*  ...and zmq_close still works. */
    CHECK_RC (zmq_close (quiet));
    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PAIR), ETERM);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
