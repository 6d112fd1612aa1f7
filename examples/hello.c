/*  The smallest complete program: a REQ socket asks, a REP socket answers,
    both in one process over inproc. Prints what it does and the library
    version; exits non-zero if anything goes wrong. */
#include <stdio.h>
#include <string.h>
#include <zmq.h>

static int fail (const char *what)
{
    fprintf (stderr, "hello: %s failed: %s\n", what, zmq_strerror (zmq_errno ()));
    return 1;
}

int main (void)
{
    int major, minor, patch;
    zmq_version (&major, &minor, &patch);
    printf ("hello: ZeroMQ library version %d.%d.%d (header %d.%d.%d)\n", major,
            minor, patch, ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR,
            ZMQ_VERSION_PATCH);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        return fail ("zmq_ctx_new");
    void *server = zmq_socket (ctx, ZMQ_REP);
    void *client = zmq_socket (ctx, ZMQ_REQ);
    if (!server || !client)
        return fail ("zmq_socket");
    if (zmq_bind (server, "inproc://hello") != 0)
        return fail ("zmq_bind");
    if (zmq_connect (client, "inproc://hello") != 0)
        return fail ("zmq_connect");
    printf ("hello: REP bound and REQ connected on inproc://hello\n");

    char buf[32];
    if (zmq_send (client, "Hello", 5, 0) != 5)
        return fail ("REQ send");
    int n = zmq_recv (server, buf, sizeof buf - 1, 0);
    if (n != 5)
        return fail ("REP recv");
    buf[n] = '\0';
    printf ("hello: REP received \"%s\"\n", buf);

    if (zmq_send (server, "World", 5, 0) != 5)
        return fail ("REP send");
    n = zmq_recv (client, buf, sizeof buf - 1, 0);
    if (n != 5)
        return fail ("REQ recv");
    buf[n] = '\0';
    printf ("hello: REQ received \"%s\"\n", buf);
    if (strcmp (buf, "World") != 0) {
        fprintf (stderr, "hello: unexpected reply\n");
        return 1;
    }

    if (zmq_close (client) != 0 || zmq_close (server) != 0)
        return fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        return fail ("zmq_ctx_term");
    printf ("hello: done\n");
    return 0;
}
