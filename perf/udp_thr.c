/* udp_thr: RADIO to DISH over udp on this host, in two processes. A DISH binds
   udp://127.0.0.1:<port> and joins a group; a RADIO in a child process connects
   and sends <message-count> messages of <message-size> bytes to that group as
   fast as it can; the DISH counts what arrives (udp drops what a receiver
   cannot take) until nothing came for a second. Prints the delivered
   throughput and the share of messages delivered.
   The draft functions are looked up at run time, so the tool builds against a
   libzmq without the draft API (which then fails it).
   usage: udp_thr <port> <message-size> <message-count> */
#define _GNU_SOURCE
#include "common.h"

#include <dlfcn.h>
#include <sys/wait.h>

static int (*join) (void *, const char *);
static int (*set_group) (zmq_msg_t *, const char *);

/* The sending process: a RADIO of its own context (its own I/O thread, as on
   another host), sending as fast as it can. */
static void radio_process (const char *endpoint, long message_size, long message_count)
{
    usleep (200000); /* the DISH binds and joins meanwhile */
    void *ctx = perf_ctx ();
    void *radio = perf_socket (ctx, 14); /* ZMQ_RADIO */
    perf_set_int (radio, ZMQ_SNDHWM, 0);
    perf_connect (radio, endpoint);
    zmq_msg_t msg;
    for (long i = 0; i < message_count; i++) {
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (message_size > 0)
            memset (zmq_msg_data (&msg), 0, (size_t) message_size);
        if (set_group (&msg, "perf") != 0)
            perf_fail ("zmq_msg_set_group");
        if (zmq_msg_send (&msg, radio, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    perf_close (radio); /* lingers until every datagram is out */
    perf_term (ctx);
    exit (0);
}

int main (int argc, char *argv[])
{
    perf_args (argc, 4, "udp_thr <port> <message-size> <message-count>");
    long port = perf_arg (argv[1], "port", 1);
    long message_size = perf_arg (argv[2], "message size", 0);
    long message_count = perf_arg (argv[3], "message count", 1);
    join = (int (*) (void *, const char *)) dlsym (RTLD_DEFAULT, "zmq_join");
    set_group =
      (int (*) (zmq_msg_t *, const char *)) dlsym (RTLD_DEFAULT, "zmq_msg_set_group");
    if (!join || !set_group)
        perf_fail_msg ("error in zmq_join: the library has no draft API");
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "udp://127.0.0.1:%ld", port);

    fflush (stdout);
    pid_t pid = fork ();
    if (pid < 0)
        perf_fail_msg ("fork failed");
    if (pid == 0)
        radio_process (endpoint, message_size, message_count);

    void *ctx = perf_ctx ();
    void *dish = perf_socket (ctx, 15); /* ZMQ_DISH */
    perf_set_int (dish, ZMQ_RCVTIMEO, 1000);
    perf_set_int (dish, ZMQ_RCVHWM, 0);
    perf_bind (dish, endpoint);
    if (join (dish, "perf") != 0)
        perf_fail ("zmq_join");

    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    long received = 0;
    double first_us = 0, last_us = 0;
    while (received < message_count) {
        if (zmq_msg_recv (&msg, dish, 0) < 0) {
            if (zmq_errno () == EAGAIN)
                break; /* a second without a message: the rest was dropped */
            perf_fail ("zmq_msg_recv");
        }
        last_us = perf_now_us ();
        if (received++ == 0)
            first_us = last_us;
    }
    zmq_msg_close (&msg);
    int status = 0;
    waitpid (pid, &status, 0);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        perf_fail_msg ("udp_thr: the sending process failed");

    double span = last_us - first_us;
    if (received < 2 || span <= 0)
        perf_fail_msg ("udp_thr: too few messages arrived to measure");
    printf ("message size: %ld [B]\n", message_size);
    printf ("message count: %ld\n", message_count);
    printf ("mean throughput: %.0f [msg/s]\n", (double) (received - 1) * 1e6 / span);
    printf ("delivered: %.1f [%%]\n", 100.0 * (double) received / (double) message_count);
    fflush (stdout);
    perf_close_now (dish);
    perf_term (ctx);
    return 0;
}
