/* proxy_thr: throughput through zmq_proxy_steerable inside one process.
   <pushers> threads with PUSH sockets feed the proxy's PULL frontend; its
   PUSH backend spreads the messages over <pullers> threads with PULL
   sockets. The clock runs from the start signal to the last message
   received anywhere; the proxy is then stopped with TERMINATE on its
   control socket. All endpoints are inproc.
   usage: proxy_thr <message-size> <message-count> [<pushers> <pullers>] */
#include "common.h"

#include <stdatomic.h>

#define HWM 10000
#define MAX_PEERS 64

static long message_size;
static long message_count;
static long pushers = 2;
static long pullers = 2;

static void *ctx;
static pthread_barrier_t start_gate;
static atomic_long received;
static atomic_int done;
static double end_us;

static pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int proxy_ready;

static void set_hwm (void *s)
{
    perf_set_int (s, ZMQ_SNDHWM, HWM);
    perf_set_int (s, ZMQ_RCVHWM, HWM);
}

static void *proxy_main (void *arg)
{
    (void) arg;
    void *front = perf_socket (ctx, ZMQ_PULL);
    void *back = perf_socket (ctx, ZMQ_PUSH);
    void *control = perf_socket (ctx, ZMQ_REP);
    set_hwm (front);
    set_hwm (back);
    perf_bind (front, "inproc://proxy_front");
    perf_bind (back, "inproc://proxy_back");
    perf_bind (control, "inproc://proxy_control");

    /* Peers connect only once every endpoint exists. */
    pthread_mutex_lock (&ready_lock);
    proxy_ready = 1;
    pthread_cond_signal (&ready_cond);
    pthread_mutex_unlock (&ready_lock);

    if (zmq_proxy_steerable (front, back, NULL, control) != 0)
        perf_fail ("zmq_proxy_steerable");

    perf_close (front);
    perf_close (back);
    perf_close (control);
    return NULL;
}

static void *pusher_main (void *arg)
{
    long share = (long) (intptr_t) arg;
    void *s = perf_socket (ctx, ZMQ_PUSH);
    set_hwm (s);
    perf_connect (s, "inproc://proxy_front");
    pthread_barrier_wait (&start_gate);
    perf_send_many (s, message_size, share);
    perf_close (s);
    return NULL;
}

static void *puller_main (void *arg)
{
    (void) arg;
    void *s = perf_socket (ctx, ZMQ_PULL);
    set_hwm (s);
    /* Pullers cannot know their share (the backend skips full pipes), so
       they wake now and then to see whether the total has been reached. */
    perf_set_int (s, ZMQ_RCVTIMEO, 100);
    perf_connect (s, "inproc://proxy_back");
    pthread_barrier_wait (&start_gate);

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    while (!atomic_load (&done)) {
        if (zmq_msg_recv (&msg, s, 0) < 0) {
            if (zmq_errno () == EAGAIN)
                continue;
            perf_fail ("zmq_msg_recv");
        }
        if ((long) zmq_msg_size (&msg) != message_size)
            perf_fail_msg ("message of incorrect size received");
        if (atomic_fetch_add (&received, 1) + 1 == message_count) {
            end_us = perf_now_us ();
            atomic_store (&done, 1);
        }
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    perf_close (s);
    return NULL;
}

int main (int argc, char *argv[])
{
    if (argc != 3 && argc != 5)
        perf_usage ("proxy_thr <message-size> <message-count> "
                    "[<pushers> <pullers>]");
    message_size = perf_arg (argv[1], "message size", 0);
    message_count = perf_arg (argv[2], "message count", 1);
    if (argc == 5) {
        pushers = perf_arg (argv[3], "pushers", 1);
        pullers = perf_arg (argv[4], "pullers", 1);
        if (pushers > MAX_PEERS || pullers > MAX_PEERS)
            perf_fail_msg ("at most 64 pushers and 64 pullers");
    }

    ctx = perf_ctx ();

    pthread_t proxy;
    perf_thread_start (&proxy, proxy_main, NULL);
    pthread_mutex_lock (&ready_lock);
    while (!proxy_ready)
        pthread_cond_wait (&ready_cond, &ready_lock);
    pthread_mutex_unlock (&ready_lock);

    pthread_barrier_init (&start_gate, NULL, (unsigned) (pushers + pullers + 1));
    pthread_t push_threads[MAX_PEERS], pull_threads[MAX_PEERS];
    for (long i = 0; i < pullers; i++)
        perf_thread_start (&pull_threads[i], puller_main, NULL);
    for (long i = 0; i < pushers; i++) {
        long share = message_count / pushers + (i < message_count % pushers);
        perf_thread_start (&push_threads[i], pusher_main,
                           (void *) (intptr_t) share);
    }

    pthread_barrier_wait (&start_gate);
    double start = perf_now_us ();

    for (long i = 0; i < pushers; i++)
        perf_thread_join (push_threads[i]);
    for (long i = 0; i < pullers; i++)
        perf_thread_join (pull_threads[i]);
    double elapsed = perf_span_us (start, end_us);

    perf_print_thr (message_size, message_count, elapsed);

    /* Steer the proxy out of its loop. */
    void *control = perf_socket (ctx, ZMQ_REQ);
    perf_connect (control, "inproc://proxy_control");
    if (zmq_send (control, "TERMINATE", 9, 0) != 9)
        perf_fail ("zmq_send");
    perf_thread_join (proxy);
    perf_close (control);

    pthread_barrier_destroy (&start_gate);
    perf_term (ctx);
    return 0;
}
