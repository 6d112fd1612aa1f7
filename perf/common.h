/* Shared helpers for the perf tools: argument parsing, a monotonic clock,
   error reporting in libzmq's perf-tool style, resource limits, socket and
   thread set-up that fails the tool on error, the measured message loops,
   and the output lines.
   Everything here uses only zmq.h and POSIX, so the same binary runs
   against any libzmq.so.5 that LD_LIBRARY_PATH selects. */
#ifndef PERF_COMMON_H
#define PERF_COMMON_H

/* For the wss options (draft constants in libzmq 4.3.5's zmq.h). */
#define ZMQ_BUILD_DRAFT_API 1
#include <zmq.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Print "error in <what>: <reason>" (the wording libzmq's tools use) and
   leave with a failing status. */
static inline void perf_fail (const char *what)
{
    printf ("error in %s: %s\n", what, zmq_strerror (zmq_errno ()));
    fflush (stdout);
    exit (1);
}

/* Same, for a check that is not a zmq call. */
static inline void perf_fail_msg (const char *text)
{
    printf ("%s\n", text);
    fflush (stdout);
    exit (1);
}

/* Print "usage: <tool> <arguments>" and leave with a failing status. */
static inline void perf_usage (const char *usage)
{
    printf ("usage: %s\n", usage);
    fflush (stdout);
    exit (1);
}

/* The tool takes exactly want - 1 arguments. */
static inline void perf_args (int argc, int want, const char *usage)
{
    if (argc != want)
        perf_usage (usage);
}

/* Strict non-negative integer argument; a typo must not become 0. */
static inline long perf_arg (const char *text, const char *name, long min)
{
    char *end = NULL;
    errno = 0;
    long v = strtol (text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > INT_MAX) {
        printf ("invalid %s: %s\n", name, text);
        fflush (stdout);
        exit (1);
    }
    return v;
}

/* Microseconds on the monotonic clock. */
static inline double perf_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e6 + (double) ts.tv_nsec / 1e3;
}

/* Microseconds from start to end, never zero so rates stay finite. */
static inline double perf_span_us (double start_us, double end_us)
{
    double e = end_us - start_us;
    return e > 0.0 ? e : 1.0;
}

/* Elapsed microseconds since start, never zero. */
static inline double perf_elapsed_us (double start_us)
{
    return perf_span_us (start_us, perf_now_us ());
}

/* Raise the soft open-file limit to at least `want` (up to the hard limit):
   every socket holds a mailbox descriptor and every tcp connection one more. */
static inline void perf_raise_nofile (rlim_t want)
{
    struct rlimit rl;
    if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur >= want)
        return;
    rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want)
                    ? want
                    : rl.rlim_max;
    setrlimit (RLIMIT_NOFILE, &rl);
}

/* Resident set size of this process in KiB, from /proc/self/statm. */
static inline long perf_rss_kib (void)
{
    FILE *f = fopen ("/proc/self/statm", "r");
    if (!f)
        return -1;
    long size = 0, resident = 0;
    int n = fscanf (f, "%ld %ld", &size, &resident);
    fclose (f);
    if (n != 2)
        return -1;
    return resident * (sysconf (_SC_PAGESIZE) / 1024);
}

/* Print the two "mean throughput" lines of libzmq's local_thr for count
   messages of size bytes in elapsed_us. */
static inline void
perf_print_throughput (long message_size, long message_count, double elapsed_us)
{
    double throughput = (double) message_count / elapsed_us * 1e6;
    double megabits = throughput * (double) message_size * 8.0 / 1e6;
    printf ("mean throughput: %d [msg/s]\n", (int) throughput);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);
}

/* Print the four lines libzmq's local_thr / inproc_thr print. */
static inline void
perf_print_thr (long message_size, long message_count, double elapsed_us)
{
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) message_count);
    perf_print_throughput (message_size, message_count, elapsed_us);
}

/* Print the three lines libzmq's remote_lat / inproc_lat print; the latency
   is half a roundtrip. */
static inline void
perf_print_lat (long message_size, long roundtrip_count, double elapsed_us)
{
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("roundtrip count: %d\n", (int) roundtrip_count);
    printf ("average latency: %.3f [us]\n",
            elapsed_us / ((double) roundtrip_count * 2.0));
    fflush (stdout);
}

/* Set-up steps that end the tool with "error in <call>: <reason>". */

static inline void *perf_ctx (void)
{
    void *ctx = zmq_ctx_new ();
    if (!ctx)
        perf_fail ("zmq_ctx_new");
    return ctx;
}

/* A context for a scale tool: room for `sockets` sockets and `files` open
   descriptors. */
static inline void *perf_ctx_for (long sockets, rlim_t files)
{
    perf_raise_nofile (files);
    void *ctx = perf_ctx ();
    if (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, (int) sockets + 64) != 0)
        perf_fail ("zmq_ctx_set");
    return ctx;
}

static inline void perf_term (void *ctx)
{
    if (zmq_ctx_term (ctx) != 0)
        perf_fail ("zmq_ctx_term");
}

/* With PERF_DRAFT set in the environment, the pair tools use the draft socket
   types of the same pattern: CLIENT/SERVER for REQ/REP, SCATTER/GATHER for
   PUSH/PULL (the values zmq.h gives them under ZMQ_BUILD_DRAFT_API; a library
   without them fails zmq_socket). */
static inline int perf_type (int type)
{
    const char *on = getenv ("PERF_DRAFT");
    if (!on || !*on || strcmp (on, "0") == 0)
        return type;
    switch (type) {
        case ZMQ_REQ:
            return 13; /* ZMQ_CLIENT */
        case ZMQ_REP:
            return 12; /* ZMQ_SERVER */
        case ZMQ_PUSH:
            return 17; /* ZMQ_SCATTER */
        case ZMQ_PULL:
            return 16; /* ZMQ_GATHER */
        default:
            return type;
    }
}

static inline void *perf_socket (void *ctx, int type)
{
    void *s = zmq_socket (ctx, perf_type (type));
    if (!s)
        perf_fail ("zmq_socket");
    return s;
}

/* With PERF_CURVE set in the environment, both ends of a pair tool speak CURVE:
   the binding side is the server (a fixed test key), the connecting side a
   client with a fresh key pair. Without it, nothing changes. */
static inline void perf_security (void *s, int server)
{
    const char *on = getenv ("PERF_CURVE");
    if (!on || !*on || strcmp (on, "0") == 0)
        return;
    static const char server_secret[] = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
    if (server) {
        const int one = 1;
        if (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &one, sizeof one) != 0
            || zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, server_secret, 40) != 0)
            perf_fail ("zmq_setsockopt (CURVE server)");
        return;
    }
    char server_public[41], public_key[41], secret_key[41];
    if (zmq_curve_public (server_public, server_secret) != 0
        || zmq_curve_keypair (public_key, secret_key) != 0)
        perf_fail ("zmq_curve_keypair");
    if (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, server_public, 40) != 0
        || zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, public_key, 40) != 0
        || zmq_setsockopt (s, ZMQ_CURVE_SECRETKEY, secret_key, 40) != 0)
        perf_fail ("zmq_setsockopt (CURVE client)");
}

/* Reads a whole file into a NUL-terminated buffer (malloc'd); exits on failure. */
static inline char *perf_read_file (const char *dir, const char *name)
{
    char path[1024];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen (path, "rb");
    if (!f)
        perf_fail ("fopen (PERF_WSS_DIR)");
    char *buf = (char *) malloc (65536);
    const size_t n = buf ? fread (buf, 1, 65535, f) : 0;
    fclose (f);
    if (!buf || n == 0)
        perf_fail ("fread (PERF_WSS_DIR)");
    buf[n] = 0;
    return buf;
}

/* wss endpoints need certificates: PERF_WSS_DIR names a directory with
   server.pem and server.key (the binding side's) and ca.pem (what the
   connecting side trusts), for the name "localhost". Other endpoints are left
   as they are. */
static inline void perf_wss (void *s, const char *endpoint, int server)
{
    const char *dir = getenv ("PERF_WSS_DIR");
    if (strncmp (endpoint, "wss://", 6) != 0 || !dir)
        return;
    if (server) {
        char *cert = perf_read_file (dir, "server.pem");
        char *key = perf_read_file (dir, "server.key");
        if (zmq_setsockopt (s, ZMQ_WSS_CERT_PEM, cert, strlen (cert)) != 0
            || zmq_setsockopt (s, ZMQ_WSS_KEY_PEM, key, strlen (key)) != 0)
            perf_fail ("zmq_setsockopt (ZMQ_WSS_CERT_PEM, ZMQ_WSS_KEY_PEM)");
        free (cert);
        free (key);
        return;
    }
    char *ca = perf_read_file (dir, "ca.pem");
    if (zmq_setsockopt (s, ZMQ_WSS_TRUST_PEM, ca, strlen (ca)) != 0
        || zmq_setsockopt (s, ZMQ_WSS_HOSTNAME, "localhost", 9) != 0)
        perf_fail ("zmq_setsockopt (ZMQ_WSS_TRUST_PEM, ZMQ_WSS_HOSTNAME)");
    free (ca);
}

static inline void perf_bind (void *s, const char *endpoint)
{
    perf_wss (s, endpoint, 1);
    if (zmq_bind (s, endpoint) != 0)
        perf_fail ("zmq_bind");
}

static inline void perf_connect (void *s, const char *endpoint)
{
    perf_wss (s, endpoint, 0);
    if (zmq_connect (s, endpoint) != 0)
        perf_fail ("zmq_connect");
}

static inline void perf_set_int (void *s, int option, int value)
{
    if (zmq_setsockopt (s, option, &value, sizeof value) != 0)
        perf_fail ("zmq_setsockopt");
}

static inline void perf_close (void *s)
{
    if (zmq_close (s) != 0)
        perf_fail ("zmq_close");
}

/* Close without waiting for anything still queued. */
static inline void perf_close_now (void *s)
{
    perf_set_int (s, ZMQ_LINGER, 0);
    perf_close (s);
}

static inline void perf_thread_start (pthread_t *t, void *(*fn) (void *),
                                      void *arg)
{
    int rc = pthread_create (t, NULL, fn, arg);
    if (rc != 0) {
        printf ("error in pthread_create: %s\n", strerror (rc));
        exit (1);
    }
}

static inline void perf_thread_join (pthread_t t)
{
    int rc = pthread_join (t, NULL);
    if (rc != 0) {
        printf ("error in pthread_join: %s\n", strerror (rc));
        exit (1);
    }
}

/* The measured loops of libzmq's tools. */

/* Receive one message into msg; it must be message_size bytes long. */
static inline void perf_recv_sized (zmq_msg_t *msg, void *s, long message_size)
{
    if (zmq_msg_recv (msg, s, 0) < 0)
        perf_fail ("zmq_msg_recv");
    if ((long) zmq_msg_size (msg) != message_size)
        perf_fail_msg ("message of incorrect size received");
}

/* Send message_count messages of message_size bytes, a fresh one each time
   and left unfilled: the cost measured is the library's, not memset's. */
static inline void perf_send_many (void *s, long message_size,
                                   long message_count)
{
    for (long i = 0; i < message_count; i++) {
        zmq_msg_t msg;
        if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
            perf_fail ("zmq_msg_init_size");
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
}

/* Receive message_count messages of message_size bytes; returns the
   microseconds from the first to the last, so that connection set-up is
   not counted, as libzmq's local_thr does. */
static inline double perf_recv_many (void *s, long message_size,
                                     long message_count)
{
    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    double start = 0.0;
    for (long i = 0; i < message_count; i++) {
        perf_recv_sized (&msg, s, message_size);
        if (i == 0)
            start = perf_now_us ();
    }
    double elapsed = perf_elapsed_us (start);
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    return elapsed;
}

/* Return each of roundtrip_count requests to its sender; a negative
   message_size accepts any size. */
static inline void perf_echo (void *s, long message_size, long roundtrip_count)
{
    zmq_msg_t msg;
    if (zmq_msg_init (&msg) != 0)
        perf_fail ("zmq_msg_init");
    for (long i = 0; i < roundtrip_count; i++) {
        if (message_size < 0) {
            if (zmq_msg_recv (&msg, s, 0) < 0)
                perf_fail ("zmq_msg_recv");
        } else {
            perf_recv_sized (&msg, s, message_size);
        }
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
    }
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
}

/* Make roundtrip_count request/reply roundtrips of message_size zeroed
   bytes; returns the elapsed microseconds. */
static inline double perf_roundtrips (void *s, long message_size,
                                      long roundtrip_count)
{
    zmq_msg_t msg;
    if (zmq_msg_init_size (&msg, (size_t) message_size) != 0)
        perf_fail ("zmq_msg_init_size");
    if (message_size > 0)
        memset (zmq_msg_data (&msg), 0, (size_t) message_size);

    double start = perf_now_us ();
    for (long i = 0; i < roundtrip_count; i++) {
        if (zmq_msg_send (&msg, s, 0) < 0)
            perf_fail ("zmq_msg_send");
        perf_recv_sized (&msg, s, message_size);
    }
    double elapsed = perf_elapsed_us (start);
    if (zmq_msg_close (&msg) != 0)
        perf_fail ("zmq_msg_close");
    return elapsed;
}

/* Watch the connections of socket s, so that perf_wait_peer_gone can later
   tell when the other process has closed its end. Returns the monitor's
   receiving socket, or NULL when the library offers no monitor (callers
   then fall back to a plain close). Call before s binds or connects. */
/* Weak, so a library that does not export the monitor yet still runs the
   tools (the address is then null and the watch is skipped). */
#pragma weak zmq_socket_monitor

static inline void *perf_watch_peer (void *ctx, void *s, const char *name)
{
    if (!zmq_socket_monitor)
        return NULL;
    char endpoint[64];
    snprintf (endpoint, sizeof endpoint, "inproc://perf-monitor-%s", name);
    if (zmq_socket_monitor (s, endpoint,
                            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_ACCEPTED
                              | ZMQ_EVENT_DISCONNECTED)
        != 0)
        return NULL;
    void *mon = zmq_socket (ctx, ZMQ_PAIR);
    if (!mon)
        return NULL;
    if (zmq_connect (mon, endpoint) != 0) {
        zmq_close (mon);
        return NULL;
    }
    return mon;
}

/* Read one monitor event: its number, or -1 when none came in timeout_ms. */
static inline int perf_next_event (void *mon, int timeout_ms)
{
    if (zmq_setsockopt (mon, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms)
        != 0)
        return -1;
    unsigned char head[6];
    int n = zmq_recv (mon, head, sizeof head, 0);
    if (n < 0)
        return -1;
    int more = 0;
    size_t more_size = sizeof more;
    char address[256];
    /* The second frame names the endpoint; it is not needed. */
    while (zmq_getsockopt (mon, ZMQ_RCVMORE, &more, &more_size) == 0 && more)
        if (zmq_recv (mon, address, sizeof address, 0) < 0)
            break;
    if (n < 2)
        return -1;
    uint16_t event; /* host byte order, as the library wrote it */
    memcpy (&event, head, sizeof event);
    return event;
}

/* Wait (at most timeout_ms) until every connection the monitor saw has
   been closed by the peer, then close the monitor. The last data a process
   sends can otherwise be dropped at termination even with infinite linger:
   libzmq 4.3.4 does so over ipc when the peer reads slower than it writes.
   Waiting for the peer to hang up proves it has everything. */
static inline void perf_wait_peer_gone (void *s, void *mon, int timeout_ms)
{
    if (!mon)
        return;
    double deadline = perf_now_us () + (double) timeout_ms * 1e3;
    int open = 0, seen = 0;
    for (;;) {
        int left_ms = (int) ((deadline - perf_now_us ()) / 1e3);
        /* Once all are closed, only look for an event already queued. */
        int wait_ms = (seen && open == 0) ? 0 : left_ms;
        if (wait_ms < 0)
            break;
        int event = perf_next_event (mon, wait_ms);
        if (event < 0) {
            if (seen && open == 0)
                break;
            if (perf_now_us () >= deadline)
                break;
            continue;
        }
        if (event == ZMQ_EVENT_CONNECTED || event == ZMQ_EVENT_ACCEPTED) {
            open++;
            seen = 1;
        } else if (event == ZMQ_EVENT_DISCONNECTED && open > 0) {
            open--;
        }
    }
    zmq_socket_monitor (s, NULL, 0);
    int linger = 0;
    zmq_setsockopt (mon, ZMQ_LINGER, &linger, sizeof linger);
    zmq_close (mon);
}

#endif
