/* inproc_thr: throughput over inproc inside one process. The main thread
   binds a PULL socket and times <message-count> messages from the first to
   the last; a second thread connects a PUSH socket and sends them.
   usage: inproc_thr <message-size> <message-count> */
#include "common.h"

#include <pthread.h>

static long message_size;
static long message_count;

static void *sender (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_PUSH);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, "inproc://thr_test") != 0)
        perf_fail ("zmq_connect");
    for (long i = 0; i < message_count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    return NULL;
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        printf ("usage: inproc_thr <message-size> <message-count>\n");
        return 1;
    }
    message_size = perf_arg (argv[1], "message size", 0);
    message_count = perf_arg (argv[2], "message count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_PULL);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_bind (s, "inproc://thr_test") != 0)
        perf_fail ("zmq_bind");

    pthread_t thread;
    int rc = pthread_create (&thread, NULL, sender, ctx);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        return 1;
    }

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    double start = 0.0;
    for (long i = 0; i < message_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
        if (i == 0)
            start = perf_now_us ();
    }
    double elapsed = perf_elapsed_us (start);
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");

    rc = pthread_join (thread, NULL);
    if (rc != 0) {
        printf ("error in pthread_join: %s\n", strerror (rc));
        return 1;
    }

    perf_print_thr (message_size, message_count, elapsed);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
