// libzmq: skip libzmq 4.3.4's wildcard ipc listener unlinks whatever file is at its path when it closes
/*  A later bind by another socket at the path of a wildcard ipc listener
    ("ipc://" "*") takes the path over; when the first listener closes, the
    later bind's file stays and goes on serving (libzmq removes it, leaving
    the later socket unreachable). */
#include "testutil.h"
#include <sys/stat.h>

static int exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = SOCKET (ctx, ZMQ_REP);
    SET_INT (a, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (a, "ipc://*"));
    char ep[256];
    size_t len = sizeof ep;
    CHECK_RC (zmq_getsockopt (a, ZMQ_LAST_ENDPOINT, ep, &len));
    const char *path = ep + 6;

    void *b = SOCKET (ctx, ZMQ_REP);
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (b, ep));
    CHECK_RC (zmq_close (a));
    msleep (300);
    if (!exists (path))
        TEST_FAIL_ ("closing the wildcard listener removed %s, the file of a "
                    "later bind",
                    path);

    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "ping", 0);
    RECV_STR (b, "ping", 0);
    SEND_STR (b, "pong", 0);
    RECV_STR (req, "pong", 0);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    /*  Whoever removes it, the path is not left behind by this test. */
    unlink (path);
    char *slash = strrchr (ep, '/');
    if (slash && slash > ep + 6) {
        *slash = '\0';
        rmdir (ep + 6);
    }
    return 0;
}
