/* remote_thr: the sending half of the throughput test. Connects a PUSH
   socket and sends <message-count> messages of <message-size> bytes; the
   context's termination waits until all of them are on their way.
   usage: remote_thr <connect-to> <message-size> <message-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 4,
               "remote_thr <connect-to> <message-size> <message-count>");
    const char *connect_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long message_count = perf_arg (argv[3], "message count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_PUSH);
    perf_security (s, 0);
    void *mon = perf_watch_peer (ctx, s, "remote_thr");
    perf_connect (s, connect_to);

    perf_send_many (s, message_size, message_count);

    /* Stay until local_thr has received everything and hung up. */
    perf_wait_peer_gone (s, mon, 60000);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
