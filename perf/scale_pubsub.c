/* scale_pubsub: one PUB fanning out to many SUBs, all in one process.
   After every SUB has been seen to receive, the PUB sends <message-count>
   messages; one receiver thread collects each message from every SUB.
   Reports the total delivered rate (subscribers x messages / time). The
   publisher stays at most WINDOW messages ahead of the receiver, below the
   high-water marks, so nothing is dropped and memory stays bounded.
   usage: scale_pubsub <bind-to> <subscribers> <message-size> <message-count> */
#include "common.h"

#define WINDOW 4000
#define HWM 10000

static long subscribers;
static long message_size;
static long message_count;
static void **subs;

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress_cond = PTHREAD_COND_INITIALIZER;
static long collected; /* messages every SUB has delivered */
static double end_us;

static void *receiver (void *arg)
{
    (void) arg;
    char *buf = malloc ((size_t) message_size + 1);
    if (!buf)
        perf_fail_msg ("out of memory");
    for (long m = 0; m < message_count; m++) {
        for (long i = 0; i < subscribers; i++) {
            int n;
            /* Empty messages are left over from the join phase. */
            do {
                n = zmq_recv (subs[i], buf, (size_t) message_size + 1, 0);
                if (n < 0)
                    perf_fail ("zmq_recv");
            } while (n == 0);
            if (n != message_size)
                perf_fail_msg ("message of incorrect size received");
        }
        if ((m + 1) % (WINDOW / 4) == 0 || m + 1 == message_count) {
            pthread_mutex_lock (&progress_lock);
            collected = m + 1;
            if (collected == message_count)
                end_us = perf_now_us ();
            pthread_cond_signal (&progress_cond);
            pthread_mutex_unlock (&progress_lock);
        }
    }
    free (buf);
    return NULL;
}

int main (int argc, char *argv[])
{
    perf_args (argc, 5,
               "scale_pubsub <bind-to> <subscribers> <message-size> "
               "<message-count>");
    const char *bind_to = argv[1];
    subscribers = perf_arg (argv[2], "subscribers", 1);
    /* Data messages are never empty: empty ones mark the join phase. */
    message_size = perf_arg (argv[3], "message size", 1);
    message_count = perf_arg (argv[4], "message count", 1);

    void *ctx = perf_ctx_for (subscribers, (rlim_t) (subscribers * 4 + 256));

    void *pub = perf_socket (ctx, ZMQ_PUB);
    perf_set_int (pub, ZMQ_SNDHWM, HWM);
    perf_set_int (pub, ZMQ_BACKLOG, (int) subscribers);
    perf_bind (pub, bind_to);

    subs = calloc ((size_t) subscribers, sizeof *subs);
    int *joined = calloc ((size_t) subscribers, sizeof *joined);
    if (!subs || !joined)
        perf_fail_msg ("out of memory");
    for (long i = 0; i < subscribers; i++) {
        subs[i] = perf_socket (ctx, ZMQ_SUB);
        perf_set_int (subs[i], ZMQ_RCVHWM, HWM);
        perf_set_int (subs[i], ZMQ_RCVTIMEO, 10000);
        if (zmq_setsockopt (subs[i], ZMQ_SUBSCRIBE, "", 0) != 0)
            perf_fail ("zmq_setsockopt");
        perf_connect (subs[i], bind_to);
    }

    /* Join phase: publish empty messages until every SUB has received one,
       so no data message is lost to a subscription still in flight. */
    long waiting = subscribers;
    double deadline = perf_now_us () + 10e6;
    while (waiting > 0) {
        if (perf_now_us () > deadline)
            perf_fail_msg ("subscribers did not join within 10 s");
        if (zmq_send (pub, "", 0, 0) < 0)
            perf_fail ("zmq_send");
        for (long i = 0; i < subscribers; i++) {
            char c;
            while (!joined[i] && zmq_recv (subs[i], &c, 1, ZMQ_DONTWAIT) >= 0) {
                joined[i] = 1;
                waiting--;
            }
        }
        struct timespec pause = {0, 1000000};
        nanosleep (&pause, NULL);
    }

    char *payload = calloc (1, (size_t) message_size);
    if (!payload)
        perf_fail_msg ("out of memory");

    pthread_t thread;
    double start = perf_now_us ();
    perf_thread_start (&thread, receiver, NULL);
    for (long m = 0; m < message_count; m++) {
        pthread_mutex_lock (&progress_lock);
        while (m - collected >= WINDOW)
            pthread_cond_wait (&progress_cond, &progress_lock);
        pthread_mutex_unlock (&progress_lock);
        if (zmq_send (pub, payload, (size_t) message_size, 0) < 0)
            perf_fail ("zmq_send");
    }
    perf_thread_join (thread);
    double elapsed = perf_span_us (start, end_us);

    long delivered = subscribers * message_count;
    printf ("subscribers: %ld\n", subscribers);
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %ld\n", message_count);
    printf ("delivered count: %ld\n", delivered);
    perf_print_throughput (message_size, delivered, elapsed);

    for (long i = 0; i < subscribers; i++)
        perf_close_now (subs[i]);
    perf_close_now (pub);
    perf_term (ctx);
    free (subs);
    free (joined);
    free (payload);
    return 0;
}
