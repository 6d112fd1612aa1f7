/* remote_lat: the measuring half of the latency test. Connects a REQ
   socket, makes <roundtrip-count> request/reply roundtrips of
   <message-size> bytes and reports half the mean roundtrip time.
   usage: remote_lat <connect-to> <message-size> <roundtrip-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 4,
               "remote_lat <connect-to> <message-size> <roundtrip-count>");
    const char *connect_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long roundtrip_count = perf_arg (argv[3], "roundtrip count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_REQ);
    perf_security (s, 0);
    perf_connect (s, connect_to);

    double elapsed = perf_roundtrips (s, message_size, roundtrip_count);
    perf_print_lat (message_size, roundtrip_count, elapsed);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
