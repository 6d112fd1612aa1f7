/* scale_idle: what idle connections cost the traffic of others. Opens
   <idle-connections> DEALER connections to a ROUTER that then stay silent,
   and times REQ/REP round trips over tcp in the same context: the wall time
   per round trip, and the CPU time (all threads, user + system) each round
   trip costs the process. An I/O layer that visits every connection on each
   event pays for the idle ones on every message.
   usage: scale_idle <bind-to> <idle-connections> <message-size> <roundtrips> */
#include "common.h"

static double cpu_us (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
           + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int main (int argc, char *argv[])
{
    perf_args (argc, 5,
               "scale_idle <bind-to> <idle-connections> <message-size> "
               "<roundtrips>");
    const char *bind_to = argv[1];
    long idle = perf_arg (argv[2], "idle connections", 0);
    long message_size = perf_arg (argv[3], "message size", 0);
    long roundtrips = perf_arg (argv[4], "roundtrips", 1);

    /* One DEALER connects <idle> times: a socket apiece would also cost
       libzmq a mailbox descriptor each, and the point is the connections. */
    void *ctx = perf_ctx_for (8, (rlim_t) (idle * 2 + 256));
    const int timeout_ms = 10000;
    const int setup_timeout_ms = 120000;

    void *router = perf_socket (ctx, ZMQ_ROUTER);
    perf_set_int (router, ZMQ_RCVTIMEO, setup_timeout_ms);
    perf_set_int (router, ZMQ_BACKLOG, (int) (idle > 0 ? idle : 1));
    perf_bind (router, bind_to);
    void *dealer = perf_socket (ctx, ZMQ_DEALER);
    for (long i = 0; i < idle; i++)
        perf_connect (dealer, bind_to);
    /* One message per connection (round-robin over them all, each queued
       until its connection is up): their arrival proves every connection. */
    for (long i = 0; i < idle; i++)
        if (zmq_send (dealer, "", 0, 0) != 0)
            perf_fail ("zmq_send");
    for (long i = 0; i < idle; i++) {
        char id[256];
        if (zmq_recv (router, id, sizeof id, 0) < 0
            || zmq_recv (router, id, sizeof id, 0) < 0)
            perf_fail ("zmq_recv");
    }

    /* The measured pair: a REP on an ephemeral port of the same host. */
    char endpoint[256];
    size_t len = sizeof endpoint;
    void *rep = perf_socket (ctx, ZMQ_REP);
    perf_set_int (rep, ZMQ_RCVTIMEO, timeout_ms);
    perf_bind (rep, "tcp://127.0.0.1:*");
    if (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        perf_fail ("zmq_getsockopt");
    void *req = perf_socket (ctx, ZMQ_REQ);
    perf_set_int (req, ZMQ_RCVTIMEO, timeout_ms);
    perf_connect (req, endpoint);

    char *buf = calloc (1, (size_t) message_size + 1);
    if (!buf)
        perf_fail_msg ("out of memory");
    /* A first round trip outside the measurement: the connection is up. */
    if (zmq_send (req, buf, (size_t) message_size, 0) < 0
        || zmq_recv (rep, buf, (size_t) message_size + 1, 0) < 0
        || zmq_send (rep, buf, (size_t) message_size, 0) < 0
        || zmq_recv (req, buf, (size_t) message_size + 1, 0) < 0)
        perf_fail ("warm-up round trip");

    double cpu_start = cpu_us ();
    double start = perf_now_us ();
    for (long i = 0; i < roundtrips; i++) {
        if (zmq_send (req, buf, (size_t) message_size, 0) < 0)
            perf_fail ("zmq_send");
        if (zmq_recv (rep, buf, (size_t) message_size + 1, 0) < 0)
            perf_fail ("zmq_recv");
        if (zmq_send (rep, buf, (size_t) message_size, 0) < 0)
            perf_fail ("zmq_send");
        if (zmq_recv (req, buf, (size_t) message_size + 1, 0) < 0)
            perf_fail ("zmq_recv");
    }
    double elapsed = perf_elapsed_us (start);
    double cpu = cpu_us () - cpu_start;

    printf ("idle connections: %ld\n", idle);
    perf_print_lat (message_size, roundtrips, elapsed);
    printf ("cpu per roundtrip: %.3f [us]\n", cpu / (double) roundtrips);
    fflush (stdout);

    perf_close_now (dealer);
    perf_close_now (req);
    perf_close_now (rep);
    perf_close_now (router);
    perf_term (ctx);
    free (buf);
    return 0;
}
