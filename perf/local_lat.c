/* local_lat: the echoing half of the latency test. Binds a REP socket and
   returns each of <roundtrip-count> requests; prints nothing on success.
   usage: local_lat <bind-to> <message-size> <roundtrip-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf (
          "usage: local_lat <bind-to> <message-size> <roundtrip-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long roundtrip_count = perf_arg (argv[3], "roundtrip count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_REP);
    if (!s)
        perf_fail ("zmq_socket");
    void *mon = perf_watch_peer (ctx, s, "local_lat");
    if (zmq_bind (s, bind_to) != 0)
        perf_fail ("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    for (long i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    /* Stay until remote_lat has the last reply and has hung up. */
    perf_wait_peer_gone (s, mon, 60000);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
