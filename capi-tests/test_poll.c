// zmq_poll over inproc sockets and a plain pipe(2) fd: timeouts -1 (woken by
// another thread), 0 and positive, POLLIN/POLLOUT/POLLERR in revents, an
// empty item list as a sleep, and the argument errors.
#include "testutil.h"
#include <pthread.h>

struct delayed
{
    void *socket; //  send "wake" on it after the delay, if set
    int fd;       //  else write one byte to this fd
    int delay_ms;
};

static void *delayed_send (void *arg)
{
    struct delayed *d = (struct delayed *) arg;
    msleep (d->delay_ms);
    if (d->socket)
        SEND_STR (d->socket, "wake", 0);
    else
        CHECK (write (d->fd, "w", 1) == 1);
    return NULL;
}

static void test_errors (void)
{
    CHECK_ERR (zmq_poll (NULL, 1, 0), EFAULT);
    CHECK_ERR (zmq_poll (NULL, 3, 10), EFAULT);
    zmq_pollitem_t item = {NULL, 0, ZMQ_POLLIN, 0};
    CHECK_ERR (zmq_poll (&item, -1, 0), EINVAL);
}

static void test_no_items (void)
{
    //  No items: returns 0 at once, or after sleeping for the timeout.
    long long start = now_ms ();
    CHECK (CHECK_RC (zmq_poll (NULL, 0, 0)) == 0);
    CHECK (now_ms () - start < 1000);
    start = now_ms ();
    CHECK (CHECK_RC (zmq_poll (NULL, 0, 150)) == 0);
    const long long elapsed = now_ms () - start;
    CHECK (elapsed >= 140);
    CHECK (elapsed < 5000);
}

static void test_fd_items (void)
{
    int fds[2];
    CHECK (pipe (fds) == 0);
    zmq_pollitem_t items[2] = {{NULL, fds[0], ZMQ_POLLIN, 0},
                               {NULL, fds[1], ZMQ_POLLOUT, 0}};
    //  Nothing to read; the write end is writable.
    CHECK (CHECK_RC (zmq_poll (items, 2, 0)) == 1);
    CHECK (items[0].revents == 0);
    CHECK (items[1].revents == ZMQ_POLLOUT);
    //  revents holds only what was asked for.
    items[1].events = ZMQ_POLLIN;
    CHECK (CHECK_RC (zmq_poll (items, 2, 0)) == 0);
    CHECK (items[1].revents == 0);

    CHECK (write (fds[1], "x", 1) == 1);
    CHECK (CHECK_RC (zmq_poll (items, 1, 0)) == 1);
    CHECK (items[0].revents == ZMQ_POLLIN);
    items[0].events = ZMQ_POLLIN | ZMQ_POLLOUT;
    CHECK (CHECK_RC (zmq_poll (items, 1, 0)) == 1);
    CHECK (items[0].revents == ZMQ_POLLIN);
    char c;
    CHECK (read (fds[0], &c, 1) == 1);
    CHECK (CHECK_RC (zmq_poll (items, 1, 0)) == 0);
    CHECK (items[0].revents == 0);

    //  Timeout -1, woken by a write from another thread.
    items[0].events = ZMQ_POLLIN;
    struct delayed d = {NULL, fds[1], 100};
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, delayed_send, &d) == 0);
    const long long start = now_ms ();
    CHECK (CHECK_RC (zmq_poll (items, 1, -1)) == 1);
    CHECK (now_ms () - start >= 50);
    CHECK (items[0].revents == ZMQ_POLLIN);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (read (fds[0], &c, 1) == 1 && c == 'w');

    //  A negative fd is ignored.
    zmq_pollitem_t ignored = {NULL, -1, ZMQ_POLLIN, 0};
    CHECK (CHECK_RC (zmq_poll (&ignored, 1, 10)) == 0);
    CHECK (ignored.revents == 0);

    //  A hung-up pipe shows up as POLLERR.
    CHECK (close (fds[1]) == 0);
    CHECK (CHECK_RC (zmq_poll (items, 1, 0)) == 1);
    CHECK (items[0].revents & ZMQ_POLLERR);
    CHECK (close (fds[0]) == 0);
}

static void test_socket_items (void *ctx)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);

    //  A PUSH without a peer is not writable, a PULL without messages not
    //  readable.
    zmq_pollitem_t items[2] = {{push, 0, ZMQ_POLLOUT, 0},
                               {pull, 0, ZMQ_POLLIN, 0}};
    CHECK (CHECK_RC (zmq_poll (items, 2, 0)) == 0);
    CHECK (items[0].revents == 0 && items[1].revents == 0);

    CHECK_RC (zmq_bind (pull, "inproc://poll"));
    CHECK_RC (zmq_connect (push, "inproc://poll"));
    CHECK (CHECK_RC (zmq_poll (items, 2, 0)) == 1);
    CHECK (items[0].revents == ZMQ_POLLOUT);
    CHECK (items[1].revents == 0);

    //  Asking for more than the socket can do: PULL never has POLLOUT.
    items[0].events = ZMQ_POLLIN | ZMQ_POLLOUT;
    items[1].events = ZMQ_POLLIN | ZMQ_POLLOUT;
    SEND_STR (push, "one", ZMQ_SNDMORE);
    SEND_STR (push, "two", 0);
    CHECK (CHECK_RC (zmq_poll (items, 2, 0)) == 2);
    CHECK (items[0].revents == ZMQ_POLLOUT);
    CHECK (items[1].revents == ZMQ_POLLIN);
    //  Events 0: never reported.
    items[1].events = 0;
    CHECK (CHECK_RC (zmq_poll (&items[1], 1, 0)) == 0);
    CHECK (items[1].revents == 0);
    items[1].events = ZMQ_POLLIN;

    //  Still readable in the middle of a multipart message.
    RECV_STR (pull, "one", 0);
    CHECK (CHECK_RC (zmq_poll (&items[1], 1, 0)) == 1);
    RECV_STR (pull, "two", 0);
    CHECK (CHECK_RC (zmq_poll (&items[1], 1, 0)) == 0);

    //  A positive timeout elapses when nothing happens.
    long long start = now_ms ();
    CHECK (CHECK_RC (zmq_poll (&items[1], 1, 200)) == 0);
    long long elapsed = now_ms () - start;
    CHECK (elapsed >= 180);
    CHECK (elapsed < 5000);

    //  Timeout -1 and a positive one are cut short by a message sent from
    //  another thread.
    for (int round = 0; round < 2; round++) {
        struct delayed d = {push, -1, 100};
        pthread_t thread;
        CHECK (pthread_create (&thread, NULL, delayed_send, &d) == 0);
        start = now_ms ();
        CHECK (CHECK_RC (zmq_poll (&items[1], 1, round ? 10000 : -1)) == 1);
        elapsed = now_ms () - start;
        CHECK (elapsed >= 50);
        CHECK (elapsed < 5000);
        CHECK (items[1].revents == ZMQ_POLLIN);
        CHECK (pthread_join (thread, NULL) == 0);
        RECV_STR (pull, "wake", 0);
    }

    //  Sockets and fds together; the result counts items with events.
    int fds[2];
    CHECK (pipe (fds) == 0);
    zmq_pollitem_t mixed[3] = {{pull, 0, ZMQ_POLLIN, 0},
                               {NULL, fds[0], ZMQ_POLLIN, 0},
                               {push, 0, ZMQ_POLLOUT, 0}};
    CHECK (CHECK_RC (zmq_poll (mixed, 3, 0)) == 1);
    CHECK (mixed[2].revents == ZMQ_POLLOUT);
    CHECK (write (fds[1], "x", 1) == 1);
    SEND_STR (push, "m", 0);
    CHECK (CHECK_RC (zmq_poll (mixed, 3, 0)) == 3);
    CHECK (mixed[0].revents == ZMQ_POLLIN);
    CHECK (mixed[1].revents == ZMQ_POLLIN);
    RECV_STR (pull, "m", 0);
    char c;
    CHECK (read (fds[0], &c, 1) == 1);
    mixed[2].events = 0;
    CHECK (CHECK_RC (zmq_poll (mixed, 3, 0)) == 0);
    CHECK (close (fds[0]) == 0 && close (fds[1]) == 0);

    //  The same socket twice in one call.
    zmq_pollitem_t twice[2] = {{push, 0, ZMQ_POLLOUT, 0},
                               {push, 0, ZMQ_POLLOUT, 0}};
    CHECK (CHECK_RC (zmq_poll (twice, 2, 0)) == 2);

    //  REQ/REP: readiness follows the state machine.
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_bind (rep, "inproc://poll-reqrep"));
    CHECK_RC (zmq_connect (req, "inproc://poll-reqrep"));
    zmq_pollitem_t rr[2] = {{req, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0},
                            {rep, 0, ZMQ_POLLIN | ZMQ_POLLOUT, 0}};
    CHECK (CHECK_RC (zmq_poll (rr, 2, 0)) == 1);
    CHECK (rr[0].revents == ZMQ_POLLOUT && rr[1].revents == 0);
    SEND_STR (req, "q", 0);
    CHECK (CHECK_RC (zmq_poll (rr, 2, 1000)) == 1);
    CHECK (rr[0].revents == 0 && rr[1].revents == ZMQ_POLLIN);
    RECV_STR (rep, "q", 0);
    CHECK (CHECK_RC (zmq_poll (rr, 2, 0)) == 1);
    CHECK (rr[1].revents == ZMQ_POLLOUT);
    SEND_STR (rep, "a", 0);
    CHECK (CHECK_RC (zmq_poll (rr, 2, 1000)) == 1);
    CHECK (rr[0].revents == ZMQ_POLLIN && rr[1].revents == 0);
    RECV_STR (req, "a", 0);

    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_errors ();
    test_no_items ();
    test_fd_items ();
    test_socket_items (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
