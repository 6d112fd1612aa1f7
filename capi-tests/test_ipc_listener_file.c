/*  Which socket file an ipc listener removes when it closes, as libzmq does:
    the file (and private directory) it created for a wildcard bind ("ipc://" "*"); never a file
    that a later bind, by another socket, created at the same path, which
    goes on serving; and not the file of a named path it bound itself. */
#include "testutil.h"
#include <sys/stat.h>

static void *ctx;

static int exists (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0;
}

/*  Waits (3 s at most) for the path to disappear; 1 when it did. */
static int gone_within (const char *path)
{
    const long long deadline = now_ms () + 3000;
    while (exists (path)) {
        if (now_ms () > deadline)
            return 0;
        msleep (10);
    }
    return 1;
}

static void last_endpoint (void *s, char *buf, size_t len)
{
    CHECK_RC (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, buf, &len));
}

/*  A request to ep must be answered by rep. */
static void served_by (void *rep, const char *ep)
{
    void *req = SOCKET (ctx, ZMQ_REQ);
    SET_INT (req, ZMQ_LINGER, 0);
    CHECK_RC (zmq_connect (req, ep));
    SEND_STR (req, "ping", 0);
    RECV_STR (rep, "ping", 0);
    SEND_STR (rep, "pong", 0);
    RECV_STR (req, "pong", 0);
    CHECK_RC (zmq_close (req));
}

static void wildcard_file_removed (void *arg)
{
    const int unbind = *(const int *) arg;
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *rep = SOCKET (ctx, ZMQ_REP);
    SET_INT (rep, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (rep, "ipc://*"));
    char ep[256];
    last_endpoint (rep, ep, sizeof ep);
    CHECK (strncmp (ep, "ipc://", 6) == 0);
    const char *path = ep + 6;
    CHECK (exists (path));
    served_by (rep, ep);
    if (unbind)
        CHECK_RC (zmq_unbind (rep, ep));
    else
        CHECK_RC (zmq_close (rep));
    if (!gone_within (path))
        TEST_FAIL_ ("%s still exists after the %s", path,
                    unbind ? "unbind" : "close");
    if (unbind)
        CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A binds a named path, B binds the same path later (taking it over);
    A's close must leave B's file, and B must still be reachable. */
static void later_bind_kept (void *arg)
{
    const int unbind = *(const int *) arg;
    char ep[64];
    snprintf (ep, sizeof ep, "ipc://ipcfile-%d.ipc", (int) getpid ());
    const char *path = ep + 6;
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = SOCKET (ctx, ZMQ_REP);
    SET_INT (a, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (a, ep));
    CHECK (exists (path));
    void *b = SOCKET (ctx, ZMQ_REP);
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (b, ep));
    CHECK (exists (path));
    served_by (b, ep);
    if (unbind)
        CHECK_RC (zmq_unbind (a, ep));
    else
        CHECK_RC (zmq_close (a));
    /*  Give an asynchronous close time to do its worst. */
    msleep (300);
    if (!exists (path))
        TEST_FAIL_ ("the %s of the first listener removed the file of the "
                    "later bind",
                    unbind ? "unbind" : "close");
    served_by (b, ep);
    if (unbind)
        CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    unlink (path);
}

/*  The file of a named path is left in place, as libzmq leaves it (a
    bind unlinks a stale file before binding). */
static void named_file_left (void *arg)
{
    (void) arg;
    char ep[64];
    snprintf (ep, sizeof ep, "ipc://ipcfile-named-%d.ipc", (int) getpid ());
    const char *path = ep + 6;
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = SOCKET (ctx, ZMQ_REP);
    SET_INT (a, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (a, ep));
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_ctx_term (ctx));
    if (!exists (path))
        TEST_FAIL_ ("the file of the named path %s was removed", path);
    /*  And a new bind takes the stale file's place. */
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *b = SOCKET (ctx, ZMQ_REP);
    SET_INT (b, ZMQ_LINGER, 0);
    CHECK_RC (zmq_bind (b, ep));
    served_by (b, ep);
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    unlink (path);
}

int main (void)
{
    TEST_TIMEOUT (40);
    static int by_close = 0, by_unbind = 1;
    const struct isolated_case cases[] = {
      {"ipc://*: its file is removed on close", wildcard_file_removed,
       &by_close},
      {"ipc://*: its file is removed on unbind", wildcard_file_removed,
       &by_unbind},
      {"named path: closing the first listener keeps a later bind's file",
       later_bind_kept, &by_close},
      {"named path: unbinding the first listener keeps a later bind's file",
       later_bind_kept, &by_unbind},
      {"named path: the file stays after the close", named_file_left, NULL},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               20)
             ? 1
             : 0;
}
