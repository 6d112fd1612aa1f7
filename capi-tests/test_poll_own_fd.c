/*  zmq_poll over a socket and, as a plain descriptor, the socket's own ZMQ_FD
    (as czmq's zpoller does when given zsock_fd()): the descriptor is reported
    readable whenever it is, although looking at the socket clears it. */
#include "testutil.h"

/*  Polls {s, fd of s}; returns zmq_poll's result, revents in sock_ev, fd_ev. */
static int poll_both (void *s, int fd, int timeout, int *sock_ev, int *fd_ev)
{
    zmq_pollitem_t items[2] = {{s, 0, ZMQ_POLLIN, 0},
                               {NULL, fd, ZMQ_POLLIN, 0}};
    int rc = CHECK_RC (zmq_poll (items, 2, timeout));
    *sock_ev = items[0].revents;
    *fd_ev = items[1].revents;
    return rc;
}

static void check_pair (void *receiver, void *sender, int settle_ms)
{
    /*  The connection is up and idle. */
    SEND_STR (sender, "warm-up", 0);
    RECV_STR (receiver, "warm-up", 0);
    msleep (settle_ms);
    int fd = GET_INT (receiver, ZMQ_FD);
    int sock_ev, fd_ev;
    poll_both (receiver, fd, 0, &sock_ev, &fd_ev);
    /*  Looked at, the socket cleared its descriptor. */
    CHECK_EQ (poll_both (receiver, fd, 0, &sock_ev, &fd_ev), 0);

    /*  A message arrives: both items are ready in the same call. */
    SEND_STR (sender, "arrived", 0);
    msleep (settle_ms);
    CHECK_EQ (poll_both (receiver, fd, 2000, &sock_ev, &fd_ev), 2);
    CHECK_EQ (sock_ev, ZMQ_POLLIN);
    CHECK_EQ (fd_ev, ZMQ_POLLIN);
    /*  Unread, the socket stays ready; its descriptor was cleared. */
    CHECK_EQ (poll_both (receiver, fd, 0, &sock_ev, &fd_ev), 1);
    CHECK_EQ (sock_ev, ZMQ_POLLIN);
    CHECK_EQ (fd_ev, 0);
    RECV_STR (receiver, "arrived", 0);
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());

    void *a = SOCKET (ctx, ZMQ_PAIR);
    void *b = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (b, "inproc://own-fd"));
    CHECK_RC (zmq_connect (a, "inproc://own-fd"));
    check_pair (b, a, 0);

    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t size = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &size));
    CHECK_RC (zmq_connect (push, endpoint));
    check_pair (pull, push, 200);

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
