/* scale_poller: the cost of waiting on many idle sockets, with the draft poller
   (zmq_poller_wait_all, registrations kept across calls) and with zmq_poll over
   the very same sockets. Builds <sockets>/2 inproc PAIR pairs, then times
   <poll-count> calls of each (POLLIN on every socket, timeout 0).
   The poller functions are looked up at run time, so the tool builds and runs
   against a libzmq without the draft API (which then fails the poller line).
   usage: scale_poller <sockets> <poll-count> */
#define _GNU_SOURCE
#include "common.h"

#include <dlfcn.h>

typedef struct
{
    void *socket;
    int fd;
    void *user_data;
    short events;
} poller_event_t; /* zmq_poller_event_t */

int main (int argc, char *argv[])
{
    perf_args (argc, 3, "scale_poller <sockets> <poll-count>");
    long pairs = (perf_arg (argv[1], "sockets", 2) + 1) / 2;
    long sockets = pairs * 2;
    long poll_count = perf_arg (argv[2], "poll count", 1);

    void *(*poller_new) (void) =
      (void *(*) (void)) dlsym (RTLD_DEFAULT, "zmq_poller_new");
    int (*poller_add) (void *, void *, void *, short) =
      (int (*) (void *, void *, void *, short)) dlsym (RTLD_DEFAULT, "zmq_poller_add");
    int (*poller_wait_all) (void *, poller_event_t *, int, long) =
      (int (*) (void *, poller_event_t *, int, long)) dlsym (RTLD_DEFAULT,
                                                             "zmq_poller_wait_all");
    int (*poller_destroy) (void **) =
      (int (*) (void **)) dlsym (RTLD_DEFAULT, "zmq_poller_destroy");
    if (!poller_new || !poller_add || !poller_wait_all || !poller_destroy)
        perf_fail_msg ("error in zmq_poller_new: the library has no draft poller");

    void *ctx = perf_ctx_for (sockets, (rlim_t) (sockets * 2 + 256));
    zmq_pollitem_t *items = calloc ((size_t) sockets, sizeof *items);
    poller_event_t *events = calloc ((size_t) sockets, sizeof *events);
    if (!items || !events)
        perf_fail_msg ("out of memory");
    void *poller = poller_new ();
    if (!poller)
        perf_fail ("zmq_poller_new");
    for (long p = 0; p < pairs; p++) {
        char endpoint[64];
        snprintf (endpoint, sizeof endpoint, "inproc://scale_poller_%ld", p);
        void *a = perf_socket (ctx, ZMQ_PAIR);
        void *b = perf_socket (ctx, ZMQ_PAIR);
        perf_bind (a, endpoint);
        perf_connect (b, endpoint);
        items[2 * p].socket = a;
        items[2 * p].events = ZMQ_POLLIN;
        items[2 * p + 1].socket = b;
        items[2 * p + 1].events = ZMQ_POLLIN;
        if (poller_add (poller, a, NULL, ZMQ_POLLIN) != 0
            || poller_add (poller, b, NULL, ZMQ_POLLIN) != 0)
            perf_fail ("zmq_poller_add");
    }

    /* A few untimed calls of each let the library settle its per-socket state. */
    for (int i = 0; i < 10; i++) {
        if (zmq_poll (items, (int) sockets, 0) < 0)
            perf_fail ("zmq_poll");
        if (poller_wait_all (poller, events, (int) sockets, 0) >= 0
            || zmq_errno () != EAGAIN)
            perf_fail_msg ("zmq_poller_wait_all reported an event on an idle socket");
    }

    double start = perf_now_us ();
    for (long i = 0; i < poll_count; i++) {
        if (poller_wait_all (poller, events, (int) sockets, 0) >= 0)
            perf_fail_msg ("zmq_poller_wait_all reported an event on an idle socket");
        if (zmq_errno () != EAGAIN)
            perf_fail ("zmq_poller_wait_all");
    }
    double poller_us = perf_elapsed_us (start) / (double) poll_count;

    start = perf_now_us ();
    for (long i = 0; i < poll_count; i++) {
        int rc = zmq_poll (items, (int) sockets, 0);
        if (rc < 0)
            perf_fail ("zmq_poll");
        if (rc != 0)
            perf_fail_msg ("zmq_poll reported an event on an idle socket");
    }
    double poll_us = perf_elapsed_us (start) / (double) poll_count;

    printf ("sockets: %ld\n", sockets);
    printf ("poll count: %ld\n", poll_count);
    printf ("average poller wait time: %.3f [us]\n", poller_us);
    printf ("average poll time: %.3f [us]\n", poll_us);
    fflush (stdout);

    if (poller_destroy (&poller) != 0)
        perf_fail ("zmq_poller_destroy");
    for (long i = 0; i < sockets; i++)
        perf_close (items[i].socket);
    perf_term (ctx);
    free (items);
    free (events);
    return 0;
}
