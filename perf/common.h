/* Shared helpers for the perf tools: argument parsing, a monotonic clock,
   error reporting in libzmq's perf-tool style, and resource limits.
   Everything here uses only zmq.h and POSIX, so the same binary runs
   against any libzmq.so.5 that LD_LIBRARY_PATH selects. */
#ifndef PERF_COMMON_H
#define PERF_COMMON_H

#include <zmq.h>

#include <errno.h>
#include <limits.h>
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

/* Elapsed microseconds, never zero so rates stay finite. */
static inline double perf_elapsed_us (double start_us)
{
    double e = perf_now_us () - start_us;
    return e > 0.0 ? e : 1.0;
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

/* Print the four lines libzmq's local_thr / inproc_thr print. */
static inline void
perf_print_thr (long message_size, long message_count, double elapsed_us)
{
    double throughput = (double) message_count / elapsed_us * 1e6;
    double megabits = throughput * (double) message_size * 8.0 / 1e6;
    printf ("message size: %d [B]\n", (int) message_size);
    printf ("message count: %d\n", (int) message_count);
    printf ("mean throughput: %d [msg/s]\n", (int) throughput);
    printf ("mean throughput: %.3f [Mb/s]\n", megabits);
    fflush (stdout);
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
