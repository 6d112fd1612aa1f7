/* local_lat: the echoing half of the latency test. Binds a REP socket and
   returns each of <roundtrip-count> requests; prints nothing on success.
   usage: local_lat <bind-to> <message-size> <roundtrip-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 4,
               "local_lat <bind-to> <message-size> <roundtrip-count>");
    const char *bind_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long roundtrip_count = perf_arg (argv[3], "roundtrip count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_REP);
    perf_security (s, 1);
    void *mon = perf_watch_peer (ctx, s, "local_lat");
    perf_bind (s, bind_to);

    perf_echo (s, message_size, roundtrip_count);

    /* Stay until remote_lat has the last reply and has hung up. */
    perf_wait_peer_gone (s, mon, 60000);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
