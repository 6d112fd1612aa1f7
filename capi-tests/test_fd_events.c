// ZMQ_FD and ZMQ_EVENTS: the fd works with poll() and epoll, is stable, and
// follows the edge contract event loops rely on: it becomes readable when
// the socket may have become ready; after ZMQ_EVENTS was read it is not
// readable even while a message is pending; once the queue was drained
// (recv until EAGAIN, or ZMQ_EVENTS without POLLIN) a new message makes it
// readable again. The same for POLLOUT when a full pipe gets room.
#include "testutil.h"
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>

static int get_fd (void *s)
{
    int fd = -1;
    size_t size = sizeof fd;
    CHECK_RC (zmq_getsockopt (s, ZMQ_FD, &fd, &size));
    CHECK (size == sizeof fd);
    CHECK (fd >= 0);
    return fd;
}

//  Whether the fd is readable within ms milliseconds (0: right now).
static int fd_readable (int fd, int ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    const int rc = poll (&p, 1, ms);
    CHECK (rc >= 0);
    if (rc == 1)
        CHECK (p.revents == POLLIN);
    return rc == 1;
}

#define EVENTS(s) GET_INT ((s), ZMQ_EVENTS)

struct delayed
{
    void *socket;
    int delay_ms;
};

static void *delayed_send (void *arg)
{
    struct delayed *d = (struct delayed *) arg;
    msleep (d->delay_ms);
    SEND_STR (d->socket, "late", 0);
    return NULL;
}

static void test_fd_basics (void *ctx)
{
    void *a = SOCKET (ctx, ZMQ_PULL);
    void *b = SOCKET (ctx, ZMQ_PULL);
    const int fd = get_fd (a);
    //  Stable across calls, distinct per socket, a real descriptor.
    CHECK (get_fd (a) == fd);
    CHECK (get_fd (a) == fd);
    CHECK (get_fd (b) != fd);
    CHECK (fcntl (fd, F_GETFD) != -1);
    //  A fresh socket is neither readable nor writable.
    CHECK (EVENTS (a) == 0);
    CHECK (!fd_readable (fd, 0));
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_pollin_edges (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "inproc://fd-edges"));
    CHECK_RC (zmq_connect (push, "inproc://fd-edges"));
    const int fd = get_fd (pull);

    const int ep = epoll_create1 (0);
    CHECK (ep >= 0);
    struct epoll_event reg = {0};
    reg.events = EPOLLIN;
    reg.data.fd = fd;
    CHECK (epoll_ctl (ep, EPOLL_CTL_ADD, fd, &reg) == 0);
    struct epoll_event got;

    //  Nothing pending: after reading EVENTS the fd is quiet.
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    CHECK (!fd_readable (fd, 0));
    CHECK (epoll_wait (ep, &got, 1, 0) == 0);

    //  A message arrives: the fd becomes readable.
    SEND_STR (push, "a", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (epoll_wait (ep, &got, 1, 2000) == 1);
    CHECK (got.data.fd == fd && (got.events & EPOLLIN));
    //  Reading EVENTS reports it and clears the fd, although the message is
    //  still there.
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    CHECK (!fd_readable (fd, 0));
    CHECK (epoll_wait (ep, &got, 1, 0) == 0);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "a", ZMQ_DONTWAIT);

    //  Drained (recv until EAGAIN): a new message makes it readable again.
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SEND_STR (push, "b", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    CHECK (!fd_readable (fd, 0));
    RECV_STR (pull, "b", ZMQ_DONTWAIT);

    //  Drained (EVENTS shows no POLLIN): likewise.
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    SEND_STR (push, "c", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (epoll_wait (ep, &got, 1, 2000) == 1);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    //  Several pending messages are all there after one wake-up.
    SEND_STR (push, "d", 0);
    SEND_STR (push, "e", 0);
    RECV_STR (pull, "c", ZMQ_DONTWAIT);
    RECV_STR (pull, "d", ZMQ_DONTWAIT);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "e", ZMQ_DONTWAIT);
    CHECK ((EVENTS (pull) & ZMQ_POLLIN) == 0);
    CHECK (!fd_readable (fd, 0));

    //  A thread blocked in poll() on the fd is woken by a message sent from
    //  another thread.
    struct delayed d = {push, 100};
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, delayed_send, &d) == 0);
    const long long start = now_ms ();
    CHECK (fd_readable (fd, 5000));
    CHECK (now_ms () - start >= 50);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (EVENTS (pull) & ZMQ_POLLIN);
    RECV_STR (pull, "late", ZMQ_DONTWAIT);

    //  A PULL never reports POLLOUT.
    CHECK ((EVENTS (pull) & ZMQ_POLLOUT) == 0);

    CHECK (close (ep) == 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_pollout_edges (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push, ZMQ_SNDHWM, 1);
    SET_INT (pull, ZMQ_RCVHWM, 1);
    const int fd = get_fd (push);

    //  Without a peer there is no POLLOUT.
    CHECK (EVENTS (push) == 0);
    CHECK_RC (zmq_bind (pull, "inproc://fd-pollout"));
    CHECK_RC (zmq_connect (push, "inproc://fd-pollout"));
    CHECK (EVENTS (push) == ZMQ_POLLOUT);
    CHECK (!fd_readable (fd, 0));

    //  Fill the pipe (1 + 1 messages): POLLOUT goes away.
    SEND_STR (push, "1", ZMQ_DONTWAIT);
    SEND_STR (push, "2", ZMQ_DONTWAIT);
    char buf[16];
    CHECK_ERR (zmq_send (push, "3", 1, ZMQ_DONTWAIT), EAGAIN);
    CHECK ((EVENTS (push) & ZMQ_POLLOUT) == 0);
    CHECK (!fd_readable (fd, 0));

    //  The reader makes room: the writer's fd wakes up and POLLOUT is back.
    RECV_STR (pull, "1", 0);
    CHECK (fd_readable (fd, 2000));
    CHECK (EVENTS (push) & ZMQ_POLLOUT);
    CHECK (!fd_readable (fd, 0));
    SEND_STR (push, "3", ZMQ_DONTWAIT);
    RECV_STR (pull, "2", 0);
    RECV_STR (pull, "3", 0);
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_fd_basics (ctx);
    test_pollin_edges (ctx);
    test_pollout_edges (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
