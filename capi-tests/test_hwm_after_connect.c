/*  ZMQ_SNDHWM and ZMQ_RCVHWM changed after connect reach the pipes that
    already exist, as in libzmq 4.3.5: over inproc the capacity is the
    sender's SNDHWM plus the receiver's RCVHWM (0 on either side: none), over
    tcp a socket's own mark. Lowering a mark on a busy pipe never strands a
    blocked sender. */
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>

#define CAP 100000

/*  Sends one-byte messages without blocking until the socket is full (or
    CAP of them went). */
static int fill (void *s)
{
    int n = 0;
    while (n < CAP) {
        while (n < CAP && zmq_send (s, "x", 1, ZMQ_DONTWAIT) == 1)
            n++;
        if (n == CAP || !(GET_INT (s, ZMQ_EVENTS) & ZMQ_POLLOUT))
            break;
    }
    return n;
}

static int pair_nbr;

/*  A fresh PUSH/PULL pair over inproc; the PUSH connects. */
static void make_pair (void *ctx, void **push, void **pull)
{
    char endpoint[32];
    snprintf (endpoint, sizeof endpoint, "inproc://hwm-%d", pair_nbr++);
    *push = SOCKET (ctx, ZMQ_PUSH);
    *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (*pull, endpoint));
    CHECK_RC (zmq_connect (*push, endpoint));
}

static void close_pair (void *push, void *pull)
{
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void *receiver (void *pull)
{
    char buf[4];
    for (int i = 0; i < 700; i++)
        CHECK_EQ (zmq_recv (pull, buf, sizeof buf, 0), 1);
    return NULL;
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push, *pull;

    make_pair (ctx, &push, &pull);
    CHECK_EQ (fill (push), 2000);
    close_pair (push, pull);

    /*  The connecting sender lowers its mark: 5 + 1000. */
    make_pair (ctx, &push, &pull);
    SET_INT (push, ZMQ_SNDHWM, 5);
    CHECK_EQ (fill (push), 1005);
    close_pair (push, pull);

    /*  Raised, and made unlimited. */
    make_pair (ctx, &push, &pull);
    SET_INT (push, ZMQ_SNDHWM, 5000);
    CHECK_EQ (fill (push), 6000);
    close_pair (push, pull);
    make_pair (ctx, &push, &pull);
    SET_INT (push, ZMQ_SNDHWM, 0);
    CHECK_EQ (fill (push), CAP);
    close_pair (push, pull);

    /*  The receiver, when it is the one that connected: 1000 + 7. */
    push = SOCKET (ctx, ZMQ_PUSH);
    pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (push, "inproc://hwm-reverse"));
    CHECK_RC (zmq_connect (pull, "inproc://hwm-reverse"));
    SET_INT (pull, ZMQ_RCVHWM, 7);
    CHECK_EQ (fill (push), 1007);
    close_pair (push, pull);

    /*  Lowered after traffic, with a receiver that drained the pipe: the
        sender's blocking sends all go through. */
    make_pair (ctx, &push, &pull);
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, receiver, pull) == 0);
    for (int i = 0; i < 600; i++)
        SEND_STR (push, "a", 0);
    msleep (100);
    SET_INT (push, ZMQ_SNDHWM, 1);
    for (int i = 0; i < 100; i++)
        SEND_STR (push, "b", 0);
    CHECK (pthread_join (thread, NULL) == 0);
    close_pair (push, pull);

    /*  Over tcp, a connecting PUSH whose peer is not there queues up to its
        own mark, as set after connect. The port is held by a socket that
        does not listen, so every attempt is refused. */
    int port;
    const int held = refused_port (&port);
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "tcp://127.0.0.1:%d", port);
    push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_connect (push, endpoint));
    SET_INT (push, ZMQ_SNDHWM, 5);
    CHECK_EQ (fill (push), 5);
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    close (held);

    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
