/* local_thr: the receiving half of the throughput test. Binds a PULL
   socket, receives <message-count> messages of <message-size> bytes and
   reports the rate, timed from the first message to the last.
   usage: local_thr <bind-to> <message-size> <message-count> */
#include "common.h"

int main (int argc, char *argv[])
{
    perf_args (argc, 4, "local_thr <bind-to> <message-size> <message-count>");
    const char *bind_to = argv[1];
    long message_size = perf_arg (argv[2], "message size", 0);
    long message_count = perf_arg (argv[3], "message count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_PULL);
    perf_security (s, 1);
    perf_bind (s, bind_to);

    double elapsed = perf_recv_many (s, message_size, message_count);
    perf_print_thr (message_size, message_count, elapsed);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
