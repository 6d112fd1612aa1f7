/* The target of interop/wire_attack.py: a ROUTER bound to tcp that echoes
 * every message back to its sender, with its socket monitor printed.
 *
 *   attack_target [--handshake-ivl MS] [--maxmsgsize N] [--nofile N]
 *                 [--max-time S]
 *
 * --nofile lowers RLIMIT_NOFILE before the library starts (to provoke
 * EMFILE). The same binary runs on this library or on the real libzmq,
 * chosen by LD_LIBRARY_PATH.
 *
 * Output (stdout, line by line, flushed):
 *   PID <pid>
 *   ENDPOINT <endpoint>
 *   READY
 *   EVENT <NAME> <value> <address>      each monitor event
 * It stops at the end of its standard input (or after --max-time seconds,
 * 60 by default) and prints DONE.
 *
 * Exit status: 0 success, 2 timeout, 3 usage or setup error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <zmq.h>

#include "event_names.h"

static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    fflush(stdout);
}

static void fail(const char *what)
{
    printf("FAIL %s: %s (errno %d)\n", what, zmq_strerror(zmq_errno()), zmq_errno());
    fflush(stdout);
    _exit(3);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "TIMEOUT whole run (--max-time)\n";
    ssize_t r = write(1, msg, sizeof msg - 1);
    (void)r;
    _exit(2);
}


/* Prints one pending monitor event; 0 when none was pending. */
static int print_event(void *mon)
{
    zmq_msg_t head, addr;
    zmq_msg_init(&head);
    zmq_msg_init(&addr);
    if (zmq_msg_recv(&head, mon, ZMQ_DONTWAIT) == -1)
        return 0;
    if (zmq_msg_recv(&addr, mon, 0) == -1)
        fail("monitor address");
    uint16_t id = 0;
    uint32_t value = 0;
    if (zmq_msg_size(&head) == 6) {
        memcpy(&id, zmq_msg_data(&head), 2);
        memcpy(&value, (char *)zmq_msg_data(&head) + 2, 4);
    }
    const char *name = "UNKNOWN";
    for (size_t i = 0; i < N_EVENTS; i++)
        if (event_names[i].id == id)
            name = event_names[i].name;
    char text[300];
    size_t n = zmq_msg_size(&addr) < sizeof text - 1 ? zmq_msg_size(&addr) : sizeof text - 1;
    memcpy(text, zmq_msg_data(&addr), n);
    text[n] = 0;
    out("EVENT %s %u %s", name, value, text);
    zmq_msg_close(&head);
    zmq_msg_close(&addr);
    return 1;
}

/* Echoes one whole message (routing id first) back to its sender. */
static void echo(void *sock)
{
    for (;;) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close(&part);
            return;
        }
        int more = zmq_msg_more(&part);
        /* A peer that is gone makes the echo fail: that is not an error. */
        if (zmq_msg_send(&part, sock, more ? ZMQ_SNDMORE : ZMQ_DONTWAIT) == -1)
            zmq_msg_close(&part);
        while (more) {
            zmq_msg_init(&part);
            if (zmq_msg_recv(&part, sock, 0) == -1)
                fail("zmq_msg_recv");
            more = zmq_msg_more(&part);
            if (zmq_msg_send(&part, sock, more ? ZMQ_SNDMORE : ZMQ_DONTWAIT) == -1)
                zmq_msg_close(&part);
        }
    }
}

int main(int argc, char **argv)
{
    int handshake_ivl = -1, nofile = -1, max_time = 60;
    long long maxmsgsize = -2;
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "usage: attack_target [--handshake-ivl MS] [--maxmsgsize N] "
                            "[--nofile N] [--max-time S]\n");
            return 3;
        }
        if (!strcmp(argv[i], "--handshake-ivl"))
            handshake_ivl = atoi(v);
        else if (!strcmp(argv[i], "--maxmsgsize"))
            maxmsgsize = atoll(v);
        else if (!strcmp(argv[i], "--nofile"))
            nofile = atoi(v);
        else if (!strcmp(argv[i], "--max-time"))
            max_time = atoi(v);
        else {
            fprintf(stderr, "attack_target: unknown option %s\n", argv[i]);
            return 3;
        }
        i++;
    }
    signal(SIGALRM, on_alarm);
    alarm((unsigned)max_time);
    if (nofile > 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 3;
        rl.rlim_cur = (rlim_t)nofile;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            return 3;
    }
    out("PID %ld", (long)getpid());

    void *ctx = zmq_ctx_new();
    if (!ctx)
        fail("zmq_ctx_new");
    void *sock = zmq_socket(ctx, ZMQ_ROUTER);
    if (!sock)
        fail("zmq_socket");
    int zero = 0;
    zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero);
    if (handshake_ivl >= 0
        && zmq_setsockopt(sock, ZMQ_HANDSHAKE_IVL, &handshake_ivl, sizeof handshake_ivl) == -1)
        fail("ZMQ_HANDSHAKE_IVL");
    if (maxmsgsize >= -1) {
        int64_t m = maxmsgsize;
        if (zmq_setsockopt(sock, ZMQ_MAXMSGSIZE, &m, sizeof m) == -1)
            fail("ZMQ_MAXMSGSIZE");
    }
    if (zmq_socket_monitor(sock, "inproc://attack-monitor", ZMQ_EVENT_ALL) == -1)
        fail("zmq_socket_monitor");
    void *mon = zmq_socket(ctx, ZMQ_PAIR);
    if (!mon || zmq_connect(mon, "inproc://attack-monitor") == -1)
        fail("monitor socket");
    if (zmq_bind(sock, "tcp://127.0.0.1:*") == -1)
        fail("zmq_bind");
    char ep[256];
    size_t len = sizeof ep;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &len) == -1)
        fail("ZMQ_LAST_ENDPOINT");
    out("ENDPOINT %s", ep);
    out("READY");

    for (;;) {
        zmq_pollitem_t items[3] = {
            {sock, 0, ZMQ_POLLIN, 0},
            {mon, 0, ZMQ_POLLIN, 0},
            {NULL, 0, ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll(items, 3, 1000);
        if (rc == -1) {
            if (zmq_errno() == EINTR)
                continue;
            fail("zmq_poll");
        }
        if (items[0].revents & ZMQ_POLLIN)
            echo(sock);
        if (items[1].revents & ZMQ_POLLIN)
            while (print_event(mon)) {
            }
        if (items[2].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
            char buf[256];
            ssize_t n = read(0, buf, sizeof buf);
            if (n <= 0)
                break;
        }
    }
    zmq_close(mon);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    out("DONE");
    return 0;
}
