/*  The memory a socket or context handle points at, as programs probe it:
    czmq asks whether a void * is a file descriptor by calling getsockopt()
    on the first int it points at, and takes anything but EBADF (for a
    socket handle) as a descriptor. */
#include "testutil.h"

#include <fcntl.h>
#include <sys/socket.h>

/*  getsockopt(SO_TYPE) on the first int of the handle: -1 and its errno. */
static int probe_as_fd (void *handle)
{
    int type = 0;
    socklen_t size = sizeof type;
    errno = 0;
    int rc = getsockopt (*(int *) handle, SOL_SOCKET, SO_TYPE, &type, &size);
    return rc == -1 ? errno : 0;
}

int main (void)
{
    TEST_TIMEOUT (20);
    /*  Descriptor 0 a non-socket file, whatever the test was started with. */
    int null_fd = open ("/dev/null", O_RDONLY);
    CHECK (null_fd >= 0);
    CHECK (dup2 (null_fd, 0) == 0);
    close (null_fd);

    void *ctx = CHECK_PTR (zmq_ctx_new ());
    int e = probe_as_fd (ctx);
    CHECK (e == EBADF || e == ENOTSOCK);

    void *sockets[12];
    for (int i = 0; i < 12; i++) {
        sockets[i] = PLAIN_SOCKET (ctx, i % ZMQ_STREAM);
        /*  Not a descriptor at all, as with libzmq's handles. */
        CHECK_EQ (probe_as_fd (sockets[i]), EBADF);
    }
    /*  And czmq's next question, ZMQ_TYPE, gets the socket's type. */
    for (int i = 0; i < 12; i++)
        CHECK_EQ (GET_INT (sockets[i], ZMQ_TYPE), i % ZMQ_STREAM);

    /*  The probed sockets work. */
    CHECK_RC (zmq_bind (sockets[0], "inproc://handles"));
    void *peer = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (peer, "inproc://handles"));
    SEND_STR (peer, "probed", 0);
    RECV_STR (sockets[0], "probed", 0);

    CHECK_RC (zmq_close (peer));
    for (int i = 0; i < 12; i++)
        CHECK_RC (zmq_close (sockets[i]));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
