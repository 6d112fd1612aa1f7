/* remote_lat: the measuring half of the latency test. Connects a REQ
   socket, makes <roundtrip-count> request/reply roundtrips of
   <message-size> bytes and reports half the mean roundtrip time.
   usage: remote_lat <connect-to> <message-size> <roundtrip-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf (
          "usage: remote_lat <connect-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    const char *connect_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long roundtrip_count = perf_arg (argv[3], "roundtrip count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_REQ);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, connect_to) != 0)
        perf_fail ("zmq_connect");

    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
        perf_fail ("zmq_msg_init_size");
    if (message_size > 0)
        memset (zmq_msg_data (&msg), 0, (size_t) message_size);

    double start = perf_now_us ();
    for (long i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
    }
    double elapsed = perf_elapsed_us (start);

    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    perf_print_lat (message_size, roundtrip_count, elapsed);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
