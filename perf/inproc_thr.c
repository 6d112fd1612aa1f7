/* inproc_thr: throughput over inproc inside one process. The main thread
   binds a PULL socket and times <message-count> messages from the first to
   the last; a second thread connects a PUSH socket and sends them.
   usage: inproc_thr <message-size> <message-count> */
#include "common.h"

static long message_size;
static long message_count;

static void *sender (void *ctx)
{
    void *s = perf_socket (ctx, ZMQ_PUSH);
    perf_connect (s, "inproc://thr_test");
    perf_send_many (s, message_size, message_count);
    perf_close (s);
    return NULL;
}

int main (int argc, char *argv[])
{
    perf_args (argc, 3, "inproc_thr <message-size> <message-count>");
    message_size = perf_arg (argv[1], "message size", 0);
    message_count = perf_arg (argv[2], "message count", 1);

    void *ctx = perf_ctx ();
    void *s = perf_socket (ctx, ZMQ_PULL);
    perf_bind (s, "inproc://thr_test");

    pthread_t thread;
    perf_thread_start (&thread, sender, ctx);
    double elapsed = perf_recv_many (s, message_size, message_count);
    perf_thread_join (thread);

    perf_print_thr (message_size, message_count, elapsed);

    perf_close (s);
    perf_term (ctx);
    return 0;
}
