/* local_thr: the receiving half of the throughput test. Binds a PULL
   socket, receives <message-count> messages of <message-size> bytes and
   reports the rate, timed from the first message to the last.
   usage: local_thr <bind-to> <message-size> <message-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    if (argc != 4) {
        printf ("usage: local_thr <bind-to> <message-size> <message-count>\n");
        return 1;
    }
    const char *bind_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long message_count = perf_arg (argv[3], "message count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_PULL);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_bind (s, bind_to) != 0)
        perf_fail ("zmq_bind");

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");

    double start = 0.0;
    for (long i = 0; i < message_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
        /* The clock starts at the first message so connection set-up is
           not counted, as libzmq's local_thr does. */
        if (i == 0)
            start = perf_now_us ();
    }
    double elapsed = perf_elapsed_us (start);

    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    perf_print_thr (message_size, message_count, elapsed);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
