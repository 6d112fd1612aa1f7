/* scale_poll: the cost of one zmq_poll call over many sockets with nothing
   to report. Builds <sockets>/2 inproc PAIR pairs, then times <poll-count>
   calls of zmq_poll (POLLIN on every socket, timeout 0).
   usage: scale_poll <sockets> <poll-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 3, "scale_poll <sockets> <poll-count>");
    long pairs = (perf_arg (argv[1], "sockets", 2) + 1) / 2;
    long sockets = pairs * 2;
    long poll_count = perf_arg (argv[2], "poll count", 1);

    void *ctx = perf_ctx_for (sockets, (rlim_t) (sockets * 2 + 256));

    zmq_pollitem_t *items = calloc ((size_t) sockets, sizeof *items);
    if (!items)
        perf_fail_msg ("out of memory");
    for (long p = 0; p < pairs; p++) {
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "inproc://scale_poll_%ld", p);
        void *a = perf_socket (ctx, ZMQ_PAIR);
        void *b = perf_socket (ctx, ZMQ_PAIR);
        perf_bind (a, endpoint);
        perf_connect (b, endpoint);
        items[2 * p].socket = a;
        items[2 * p].events = ZMQ_POLLIN;
        items[2 * p + 1].socket = b;
        items[2 * p + 1].events = ZMQ_POLLIN;
    }

    /* A few untimed calls let the library settle its per-socket state. */
    for (int i = 0; i < 10; i++)
        if (zmq_poll (items, (int) sockets, 0) < 0)
            perf_fail ("zmq_poll");

    double start = perf_now_us ();
    for (long i = 0; i < poll_count; i++) {
        int rc = zmq_poll (items, (int) sockets, 0);
        if (rc < 0)
            perf_fail ("zmq_poll");
        if (rc != 0)
            perf_fail_msg ("zmq_poll reported an event on an idle socket");
    }
    double elapsed = perf_elapsed_us (start);

    printf ("sockets: %ld\n", sockets);
    printf ("poll count: %ld\n", poll_count);
    printf ("average poll time: %.3f [us]\n", elapsed / (double) poll_count);
    fflush (stdout);

    for (long i = 0; i < sockets; i++)
        perf_close (items[i].socket);
    perf_term (ctx);
    free (items);
    return 0;
}
