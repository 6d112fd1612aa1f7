/*  A process forks while its context runs I/O threads (a tcp connection is
    up). The child closes the inherited sockets and terminates the inherited
    context, or only terminates it: it neither hangs nor prints anything, and
    touches nothing of the parent's (a socket's ZMQ_FD stays quiet, the
    parent's connection keeps working, its context terminates). libzmq
    answers the child's zmq_ctx_term with EINTR, this library with 0. */
#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>

/*  Runs the child's part in a forked process; returns once it exited. */
static void run_child (void *ctx, void *push, void *pull, int close_first)
{
    int out[2];
    CHECK (pipe (out) == 0);
    pid_t pid = fork ();
    CHECK (pid >= 0);
    if (pid == 0) {
        /*  Whatever the library would print goes to the parent to check. */
        dup2 (out[1], 2);
        close (out[0]);
        alarm (10);
        int status = 0;
        if (close_first) {
            if (zmq_close (push) != 0 || zmq_close (pull) != 0)
                status = 1;
        }
        int rc = zmq_ctx_term (ctx);
        if (rc != 0 && !(rc == -1 && errno == EINTR))
            status = 2;
        _exit (status);
    }
    close (out[1]);
    int status = 0;
    CHECK (waitpid (pid, &status, 0) == pid);
    if (!WIFEXITED (status))
        TEST_FAIL_ ("the child was killed by signal %d", WTERMSIG (status));
    CHECK_EQ (WEXITSTATUS (status), 0);
    char text[256];
    ssize_t n = read (out[0], text, sizeof text - 1);
    if (n > 0) {
        text[n] = '\0';
        TEST_FAIL_ ("the child printed: %s", text);
    }
    close (out[0]);
}

/*  Lets the connection settle, then clears the socket's ZMQ_FD (a wake-up may
    trail a delivery by a moment, which the edge contract allows). */
static void quiet (void *pull)
{
    msleep (100);
    CHECK_EQ (GET_INT (pull, ZMQ_EVENTS) & ZMQ_POLLIN, 0);
}

/*  The parent's connection still carries messages, and the child woke
    nothing: ZMQ_FD of the receiving socket is not readable. */
static void check_parent (void *push, void *pull, int fd, const char *body)
{
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ (poll (&p, 1, 0), 0);
    SEND_STR (push, body, 0);
    RECV_STR (pull, body, 0);
    quiet (pull);
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *pull = SOCKET (ctx, ZMQ_PULL);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (pull, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t size = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (pull, ZMQ_LAST_ENDPOINT, endpoint, &size));
    CHECK_RC (zmq_connect (push, endpoint));
    int fd = GET_INT (pull, ZMQ_FD);
    SEND_STR (push, "before", 0);
    RECV_STR (pull, "before", 0);
    quiet (pull);

    run_child (ctx, push, pull, 1);
    check_parent (push, pull, fd, "after a child closed and terminated");
    run_child (ctx, push, pull, 0);
    check_parent (push, pull, fd, "after a child terminated");

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
