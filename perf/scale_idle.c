/* scale_idle: what idle connections cost the traffic of others. A ROUTER
   accepts <idle-connections> peers that complete the ZMTP handshake, send one
   empty message and then stay silent; meanwhile REQ/REP round trips over tcp
   run in the same context. Reports the wall time per round trip and the CPU
   time (all threads, user + system) each round trip costs the process. An I/O
   layer that visits every connection on each event pays for the idle ones on
   every message.
   The idle peers are plain tcp sockets speaking ZMTP 3.1 by hand, so each
   costs the process one descriptor and the library under test nothing.
   usage: scale_idle <bind-to> <idle-connections> <message-size> <roundtrips> */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A DEALER's side of a ZMTP 3.1 handshake with the NULL mechanism, then one
   empty message. */
static const unsigned char idle_hello[] = {
    /* greeting: signature, version 3.1, "NULL", as-server 0, filler */
    0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 1, 'N', 'U', 'L', 'L', 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* READY, Socket-Type DEALER */
    0x04, 28, 5, 'R', 'E', 'A', 'D', 'Y', 11, 'S', 'o', 'c', 'k', 'e', 't', '-',
    'T', 'y', 'p', 'e', 0, 0, 0, 6, 'D', 'E', 'A', 'L', 'E', 'R',
    /* an empty message */
    0x00, 0x00};

/* Connects one idle peer to 127.0.0.1:port and sends its hello. */
static int idle_peer (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        perf_fail_msg ("error in socket: out of descriptors");
    struct sockaddr_in sa;
    memset (&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons ((uint16_t) port);
    sa.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &sa, sizeof sa) != 0)
        perf_fail_msg ("error in connect: idle peer refused");
    /* In the stages of a real peer, each after the library's matching one:
       the signature, the rest of the greeting, then READY and the message
       (libzmq 4.3 stalls when the next stage arrives with the last). */
    const size_t stages[3] = {10, 64, sizeof idle_hello};
    size_t sent = 0;
    for (int stage = 0; stage < 3; stage++) {
        size_t upto = stages[stage];
        if (write (fd, idle_hello + sent, upto - sent) != (ssize_t) (upto - sent))
            perf_fail_msg ("error in write: idle peer");
        sent = upto;
        if (stage == 2)
            break;
        /* The library's signature, then the rest of its greeting. */
        unsigned char in[64];
        size_t want = stage == 0 ? 10 : 54, got = 0;
        while (got < want) {
            ssize_t n = read (fd, in + got, want - got);
            if (n <= 0)
                perf_fail_msg ("error in read: idle peer");
            got += (size_t) n;
        }
    }
    return fd;
}

static double cpu_us (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return (double) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6
           + (double) (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

int main (int argc, char *argv[])
{
    perf_args (argc, 5,
               "scale_idle <bind-to> <idle-connections> <message-size> "
               "<roundtrips>");
    const char *bind_to = argv[1];
    long idle = perf_arg (argv[2], "idle connections", 0);
    long message_size = perf_arg (argv[3], "message size", 0);
    long roundtrips = perf_arg (argv[4], "roundtrips", 1);

    void *ctx = perf_ctx_for (8, (rlim_t) (idle * 2 + 256));
    const int timeout_ms = 10000;

    void *router = perf_socket (ctx, ZMQ_ROUTER);
    perf_set_int (router, ZMQ_RCVTIMEO, timeout_ms);
    perf_bind (router, bind_to);
    char router_ep[256];
    size_t router_len = sizeof router_ep;
    if (zmq_getsockopt (router, ZMQ_LAST_ENDPOINT, router_ep, &router_len) != 0)
        perf_fail ("zmq_getsockopt");
    const char *colon = strrchr (router_ep, ':');
    if (strncmp (router_ep, "tcp://127.0.0.1:", 16) != 0 || !colon)
        perf_fail_msg ("scale_idle binds to tcp://127.0.0.1:<port>");
    int port = atoi (colon + 1);
    int *peers = calloc ((size_t) idle + 1, sizeof *peers);
    if (!peers)
        perf_fail_msg ("out of memory");
    /* In batches, so the listen backlog never overflows; each peer's message
       arriving proves its handshake done. */
    const long batch = 256;
    for (long first = 0; first < idle; first += batch) {
        long last = first + batch < idle ? first + batch : idle;
        for (long i = first; i < last; i++)
            peers[i] = idle_peer (port);
        for (long i = first; i < last; i++) {
            char frame[256];
            if (zmq_recv (router, frame, sizeof frame, 0) < 0
                || zmq_recv (router, frame, sizeof frame, 0) < 0)
                perf_fail ("zmq_recv");
        }
    }

    /* The measured pair: a REP on an ephemeral port of the same host. */
    char endpoint[256];
    size_t len = sizeof endpoint;
    void *rep = perf_socket (ctx, ZMQ_REP);
    perf_set_int (rep, ZMQ_RCVTIMEO, timeout_ms);
    perf_bind (rep, "tcp://127.0.0.1:*");
    if (zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0)
        perf_fail ("zmq_getsockopt");
    void *req = perf_socket (ctx, ZMQ_REQ);
    perf_set_int (req, ZMQ_RCVTIMEO, timeout_ms);
    perf_connect (req, endpoint);

    char *buf = calloc (1, (size_t) message_size + 1);
    if (!buf)
        perf_fail_msg ("out of memory");
    /* A first round trip outside the measurement: the connection is up. */
    if (zmq_send (req, buf, (size_t) message_size, 0) < 0
        || zmq_recv (rep, buf, (size_t) message_size + 1, 0) < 0
        || zmq_send (rep, buf, (size_t) message_size, 0) < 0
        || zmq_recv (req, buf, (size_t) message_size + 1, 0) < 0)
        perf_fail ("warm-up round trip");

    double cpu_start = cpu_us ();
    double start = perf_now_us ();
    for (long i = 0; i < roundtrips; i++) {
        if (zmq_send (req, buf, (size_t) message_size, 0) < 0)
            perf_fail ("zmq_send");
        if (zmq_recv (rep, buf, (size_t) message_size + 1, 0) < 0)
            perf_fail ("zmq_recv");
        if (zmq_send (rep, buf, (size_t) message_size, 0) < 0)
            perf_fail ("zmq_send");
        if (zmq_recv (req, buf, (size_t) message_size + 1, 0) < 0)
            perf_fail ("zmq_recv");
    }
    double elapsed = perf_elapsed_us (start);
    double cpu = cpu_us () - cpu_start;

    printf ("idle connections: %ld\n", idle);
    perf_print_lat (message_size, roundtrips, elapsed);
    printf ("cpu per roundtrip: %.3f [us]\n", cpu / (double) roundtrips);
    fflush (stdout);

    for (long i = 0; i < idle; i++)
        close (peers[i]);
    free (peers);
    perf_close_now (req);
    perf_close_now (rep);
    perf_close_now (router);
    perf_term (ctx);
    free (buf);
    return 0;
}
