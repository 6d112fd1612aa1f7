/* inproc_lat: latency over inproc inside one process. The main thread
   binds a REQ socket and makes <roundtrip-count> roundtrips with a REP
   socket that a second thread connects; reports half the mean roundtrip.
   usage: inproc_lat <message-size> <roundtrip-count> */
#include "common.h"

#include <pthread.h>

static long message_size;
static long roundtrip_count;

static void *echo (void *ctx)
{
    void *s = zmq_socket (ctx, ZMQ_REP);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_connect (s, "inproc://lat_test") != 0)
        perf_fail ("zmq_connect");
    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    for (long i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_recv (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_recv");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    return NULL;
}

int main (int argc, char *argv[])
{
    if (argc != 3) {
        printf ("usage: inproc_lat <message-size> <roundtrip-count>\n");
        return 1;
    }
    message_size = perf_arg (argv[1], "message size", 0);
    roundtrip_count = perf_arg (argv[2], "roundtrip count", 1);

    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    void *s = zmq_socket (ctx, ZMQ_REQ);
    if (!s)
        perf_fail ("zmq_socket");
    if (zmq_bind (s, "inproc://lat_test") != 0)
        perf_fail ("zmq_bind");

    pthread_t thread;
    int rc = pthread_create (&thread, NULL, echo, ctx);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        return 1;
    }

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

    rc = pthread_join (thread, NULL);
    if (rc != 0) {
        printf ("error in pthread_join: %s\n", strerror (rc));
        return 1;
    }

    perf_print_lat (message_size, roundtrip_count, elapsed);

    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
    return 0;
}
