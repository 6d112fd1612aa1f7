/* remote_thr: the sending half of the throughput test. Connects a PUSH
   socket and sends <message-count> messages of <message-size> bytes; the
   context's termination waits until all of them are on their way.
   usage: remote_thr <connect-to> <message-size> <message-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf (
          "usage: remote_thr <connect-to> <message-size> <message-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long message_count = perf_arg (argv[3], "message count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_PUSH);
    if (!s)
        perf_fail ("zmq_socket");
    void *mon = perf_watch_peer (ctx, s, "remote_thr");
    if (zmq_connect (s, connect_to) != 0)
        perf_fail ("zmq_connect");

    for (long i = 0; i < message_count; i++) {
        zmq_msg_t msg;
        /* A fresh message each time, left unfilled: the cost measured is
           the library's, not memset's. */
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }

    /* Stay until local_thr has received everything and hung up. */
    perf_wait_peer_gone (s, mon, 60000);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
