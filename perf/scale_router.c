/* scale_router: many DEALER connections to one ROUTER, all in one process.
   Reports the time until every DEALER has been heard by the ROUTER, the
   resident memory added per connection (both ends of it: DEALER, ROUTER
   pipe and the two transport connections), and the rate of round-robin
   delivery from the ROUTER to all DEALERs, addressed by routing id.
   usage: scale_router <bind-to> <connections> <message-size> <rounds> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 5,
               "scale_router <bind-to> <connections> <message-size> "
               "<rounds>");
    const char *bind_to = argv[1];
    long connections = perf_arg (argv[2], "connections", 1);
    long message_size = perf_arg (argv[3], "message size", 0);
    long rounds = perf_arg (argv[4], "rounds", 1);

    /* A socket holds a mailbox descriptor, a tcp connection one per end. */
    void *ctx = perf_ctx_for (connections, (rlim_t) (connections * 4 + 256));

    void *router = perf_socket (ctx, ZMQ_ROUTER);
    /* Unroutable messages become errors instead of silent drops. */
    perf_set_int (router, ZMQ_ROUTER_MANDATORY, 1);
    const int timeout_ms = 10000;
    perf_set_int (router, ZMQ_RCVTIMEO, timeout_ms);
    /* Room for every connection attempt at once, so the kernel never drops
       a SYN and the timing does not include its retransmission delay. */
    perf_set_int (router, ZMQ_BACKLOG, (int) connections);
    perf_bind (router, bind_to);

    void **dealers = calloc ((size_t) connections, sizeof *dealers);
    if (!dealers)
        perf_fail_msg ("out of memory");

    long rss_before = perf_rss_kib ();
    double start = perf_now_us ();
    for (long i = 0; i < connections; i++) {
        void *d = perf_socket (ctx, ZMQ_DEALER);
        char id[16];
        int id_len = snprintf (id, sizeof id, "d%ld", i);
        if (zmq_setsockopt (d, ZMQ_ROUTING_ID, id, (size_t) id_len) != 0)
            perf_fail ("zmq_setsockopt");
        perf_set_int (d, ZMQ_RCVTIMEO, timeout_ms);
        perf_connect (d, bind_to);
        /* Queued until the connection is up; its arrival proves it. */
        if (zmq_send (d, "", 0, 0) != 0)
            perf_fail ("zmq_send");
        dealers[i] = d;
    }
    for (long i = 0; i < connections; i++) {
        char id[16];
        if (zmq_recv (router, id, sizeof id, 0) < 0)
            perf_fail ("zmq_recv");
        char body[1];
        if (zmq_recv (router, body, sizeof body, 0) < 0)
            perf_fail ("zmq_recv");
    }
    double connect_us = perf_elapsed_us (start);
    long rss_after = perf_rss_kib ();

    char *payload = calloc (1, (size_t) message_size + 1);
    char *sink = malloc ((size_t) message_size + 1);
    if (!payload || !sink)
        perf_fail_msg ("out of memory");

    /* One message to every DEALER per round, then collect them in the same
       order: up to <connections> messages are in flight at any time. */
    start = perf_now_us ();
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < connections; i++) {
            char id[16];
            int id_len = snprintf (id, sizeof id, "d%ld", i);
            if (zmq_send (router, id, (size_t) id_len, ZMQ_SNDMORE) < 0)
                perf_fail ("zmq_send");
            if (zmq_send (router, payload, (size_t) message_size, 0) < 0)
                perf_fail ("zmq_send");
        }
        for (long i = 0; i < connections; i++) {
            int n = zmq_recv (dealers[i], sink, (size_t) message_size + 1, 0);
            if (n < 0)
                perf_fail ("zmq_recv");
            if (n != message_size)
                perf_fail_msg ("message of incorrect size received");
        }
    }
    double elapsed = perf_elapsed_us (start);
    long message_count = connections * rounds;
    double throughput = (double) message_count / elapsed * 1e6;

    printf ("connections: %ld\n", connections);
    printf ("connect time: %.3f [ms]\n", connect_us / 1e3);
    printf ("memory per connection: %.3f [KiB]\n",
            (double) (rss_after - rss_before) / (double) connections);
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %ld\n", message_count);
    printf ("mean throughput: %d [msg/s]\n", (int) throughput);
    fflush (stdout);

    for (long i = 0; i < connections; i++)
        perf_close_now (dealers[i]);
    perf_close_now (router);
    perf_term (ctx);
    free (dealers);
    free (payload);
    free (sink);
    return 0;
}
