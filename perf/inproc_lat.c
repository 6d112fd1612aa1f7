/* inproc_lat: latency over inproc inside one process. The main thread
   binds a REQ socket and makes <roundtrip-count> roundtrips with a REP
   socket that a second thread connects; reports half the mean roundtrip.
   usage: inproc_lat <message-size> <roundtrip-count> */
#include "common.h"

static long roundtrip_count;

static void *echo (void *ctx)
{
    void *s = perf_socket (ctx, ZMQ_REP);
    perf_connect (s, "inproc://lat_test");
    /* Like libzmq's inproc_lat, only the measuring side checks sizes. */
    perf_echo (s, -1, roundtrip_count);
    perf_close (s);
    return NULL;
}

int main (int argc, char *argv[])
{
    perf_args (argc, 3, "inproc_lat <message-size> <roundtrip-count>");
    long message_size = perf_arg (argv[1], "message size", 0);
    roundtrip_count = perf_arg (argv[2], "roundtrip count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_REQ);
    perf_bind (s, "inproc://lat_test");

    pthread_t thread;
    perf_thread_start (&thread, echo, ctx);
    double elapsed = perf_roundtrips (s, message_size, roundtrip_count);
    perf_thread_join (thread);

    perf_print_lat (message_size, roundtrip_count, elapsed);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
