/* One side of a draft-API interoperability scenario (CLIENT/SERVER, RADIO/DISH,
 * SCATTER/GATHER, PEER, CHANNEL, DGRAM), run on either library chosen by
 * LD_LIBRARY_PATH:
 *
 *   draft_peer <role> <bind|connect> <endpoint> [count]
 *
 * Roles and what each checks:
 *   server   SERVER: echoes `count` messages back to their senders by routing id
 *   client   CLIENT: sends `count` messages, expects each echoed
 *   radio    RADIO: sends messages of groups "A" and "B" until stdin closes
 *   dish     DISH: joins "B", receives `count` messages, all of group "B"
 *   scatter  SCATTER: sends `count` messages
 *   gather   GATHER: receives `count` messages, 0..count-1 each once
 *   peer-a   PEER: answers `count` messages by routing id
 *   peer-b   PEER: zmq_connect_peer, sends `count` messages to that id
 *   channel-a / channel-b   CHANNEL: b sends `count`, a echoes, b checks
 *   dgram-echo   DGRAM: echoes datagrams back to their sender, until stdin closes
 *   dgram-ping   DGRAM (binds `endpoint`, sends to the address in argv[5]):
 *                `count` pings, each answered
 *
 * Prints ENDPOINT <last endpoint> and READY, then DONE; FAIL <why> or TIMEOUT
 * on failure. Exit status: 0 success, 1 mismatch, 2 timeout, 3 setup error.
 */
#define _POSIX_C_SOURCE 200809L
#define ZMQ_BUILD_DRAFT_API 1

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

static void finish (int code, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    fputs (code == 2 ? "TIMEOUT " : "FAIL ", stdout);
    vprintf (fmt, ap);
    va_end (ap);
    putchar ('\n');
    fflush (stdout);
    _exit (code);
}

static void on_alarm (int sig)
{
    (void) sig;
    static const char m[] = "TIMEOUT whole run\n";
    ssize_t r = write (1, m, sizeof m - 1);
    (void) r;
    _exit (2);
}

static void check (int rc, const char *what)
{
    if (rc == -1)
        finish (3, "%s: %s", what, zmq_strerror (zmq_errno ()));
}

/* Whether stdin was closed (the driver's "stop"). */
static int stdin_closed (void)
{
    struct pollfd p = {0, POLLIN, 0};
    if (poll (&p, 1, 0) == 1) {
        char c;
        return read (0, &c, 1) <= 0;
    }
    return 0;
}

static void send_msg (void *s, const void *data, size_t len, uint32_t rid,
                      const char *group, int flags)
{
    zmq_msg_t m;
    check (zmq_msg_init_size (&m, len), "zmq_msg_init_size");
    memcpy (zmq_msg_data (&m), data, len);
    if (rid)
        check (zmq_msg_set_routing_id (&m, rid), "zmq_msg_set_routing_id");
    if (group)
        check (zmq_msg_set_group (&m, group), "zmq_msg_set_group");
    if (zmq_msg_send (&m, s, flags) < 0) {
        int e = zmq_errno ();
        zmq_msg_close (&m);
        if (e == EAGAIN && (flags & ZMQ_DONTWAIT))
            return;
        finish (1, "send: %s", zmq_strerror (e));
    }
}

/* Receives into buf (NUL-terminated); returns the message's routing id. */
static uint32_t recv_msg (void *s, char *buf, size_t cap, char *group)
{
    zmq_msg_t m;
    zmq_msg_init (&m);
    if (zmq_msg_recv (&m, s, 0) < 0)
        finish (2, "receive: %s", zmq_strerror (zmq_errno ()));
    size_t n = zmq_msg_size (&m) < cap - 1 ? zmq_msg_size (&m) : cap - 1;
    memcpy (buf, zmq_msg_data (&m), n);
    buf[n] = '\0';
    if (group)
        snprintf (group, 256, "%s", zmq_msg_group (&m));
    uint32_t rid = zmq_msg_routing_id (&m);
    zmq_msg_close (&m);
    return rid;
}

int main (int argc, char **argv)
{
    if (argc < 4) {
        fprintf (stderr, "usage: draft_peer role bind|connect endpoint [count] [to]\n");
        return 3;
    }
    signal (SIGALRM, on_alarm);
    alarm (30);
    const char *role = argv[1];
    int bind = strcmp (argv[2], "bind") == 0;
    const char *endpoint = argv[3];
    int count = argc > 4 ? atoi (argv[4]) : 10;

    struct { const char *role; int type; } types[] = {
      {"server", ZMQ_SERVER},   {"client", ZMQ_CLIENT},  {"radio", ZMQ_RADIO},
      {"dish", ZMQ_DISH},       {"scatter", ZMQ_SCATTER}, {"gather", ZMQ_GATHER},
      {"peer-a", ZMQ_PEER},     {"peer-b", ZMQ_PEER},    {"channel-a", ZMQ_CHANNEL},
      {"channel-b", ZMQ_CHANNEL}, {"dgram-echo", ZMQ_DGRAM}, {"dgram-ping", ZMQ_DGRAM}};
    int type = -1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp (role, types[i].role) == 0)
            type = types[i].type;
    if (type < 0)
        finish (3, "unknown role %s", role);

    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    if (!s)
        finish (3, "zmq_socket: %s", zmq_strerror (zmq_errno ()));
    int timeout = 10000, linger = 1000;
    check (zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout), "RCVTIMEO");
    check (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger), "LINGER");
    if (type == ZMQ_DISH)
        check (zmq_join (s, "B"), "zmq_join");

    uint32_t peer_rid = 0;
    if (strcmp (role, "peer-b") == 0) {
        peer_rid = zmq_connect_peer (s, endpoint);
        if (!peer_rid)
            finish (3, "zmq_connect_peer: %s", zmq_strerror (zmq_errno ()));
    } else if (bind)
        check (zmq_bind (s, endpoint), "zmq_bind");
    else
        check (zmq_connect (s, endpoint), "zmq_connect");
    char last[256];
    size_t len = sizeof last;
    check (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, last, &len), "LAST_ENDPOINT");
    printf ("ENDPOINT %s\nREADY\n", last);
    fflush (stdout);

    char buf[256], group[256], want[64];
    if (strcmp (role, "server") == 0 || strcmp (role, "peer-a") == 0) {
        for (int i = 0; i < count; i++) {
            uint32_t rid = recv_msg (s, buf, sizeof buf, NULL);
            if (!rid)
                finish (1, "no routing id on message %d", i);
            send_msg (s, buf, strlen (buf), rid, NULL, 0);
        }
    } else if (strcmp (role, "client") == 0 || strcmp (role, "peer-b") == 0
               || strcmp (role, "channel-b") == 0) {
        for (int i = 0; i < count; i++) {
            snprintf (want, sizeof want, "message %d", i);
            send_msg (s, want, strlen (want), peer_rid, NULL, 0);
            uint32_t rid = recv_msg (s, buf, sizeof buf, NULL);
            if (strcmp (buf, want) != 0)
                finish (1, "got '%s', want '%s'", buf, want);
            if (peer_rid && rid != peer_rid)
                finish (1, "reply from routing id %u, not %u", rid, peer_rid);
        }
    } else if (strcmp (role, "channel-a") == 0) {
        for (int i = 0; i < count; i++) {
            recv_msg (s, buf, sizeof buf, NULL);
            send_msg (s, buf, strlen (buf), 0, NULL, 0);
        }
    } else if (strcmp (role, "radio") == 0) {
        for (int i = 0; !stdin_closed (); i++) {
            snprintf (want, sizeof want, "%c %d", i % 2 ? 'B' : 'A', i);
            send_msg (s, want, strlen (want), 0, i % 2 ? "B" : "A", ZMQ_DONTWAIT);
            struct timespec ts = {0, 2000000};
            nanosleep (&ts, NULL);
        }
    } else if (strcmp (role, "dish") == 0) {
        for (int i = 0; i < count; i++) {
            recv_msg (s, buf, sizeof buf, group);
            if (strcmp (group, "B") != 0 || buf[0] != 'B')
                finish (1, "group '%s' body '%s' on a DISH that joined B only", group, buf);
        }
    } else if (strcmp (role, "scatter") == 0) {
        for (int i = 0; i < count; i++) {
            snprintf (want, sizeof want, "%d", i);
            send_msg (s, want, strlen (want), 0, NULL, 0);
        }
    } else if (strcmp (role, "gather") == 0) {
        char *seen = calloc ((size_t) count, 1);
        for (int i = 0; i < count; i++) {
            recv_msg (s, buf, sizeof buf, NULL);
            int n = atoi (buf);
            if (n < 0 || n >= count || seen[n])
                finish (1, "message '%s' unexpected", buf);
            seen[n] = 1;
        }
        free (seen);
    } else if (strcmp (role, "dgram-echo") == 0) {
        int t = 100;
        check (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t), "RCVTIMEO");
        while (!stdin_closed ()) {
            char addr[64];
            int n = zmq_recv (s, addr, sizeof addr - 1, 0);
            if (n < 0)
                continue;
            addr[n] = '\0';
            recv_msg (s, buf, sizeof buf, NULL);
            if (zmq_send (s, addr, strlen (addr), ZMQ_SNDMORE) < 0)
                finish (1, "send address");
            send_msg (s, buf, strlen (buf), 0, NULL, 0);
        }
    } else if (strcmp (role, "dgram-ping") == 0) {
        if (argc < 6)
            finish (3, "dgram-ping needs the echo's address");
        int t = 200;
        check (zmq_setsockopt (s, ZMQ_RCVTIMEO, &t, sizeof t), "RCVTIMEO");
        for (int i = 0; i < count; i++) {
            snprintf (want, sizeof want, "ping %d", i);
            int got = 0;
            for (int tries = 0; tries < 25 && !got; tries++) {
                if (zmq_send (s, argv[5], strlen (argv[5]), ZMQ_SNDMORE) < 0)
                    finish (1, "send address: %s", zmq_strerror (zmq_errno ()));
                send_msg (s, want, strlen (want), 0, NULL, 0);
                char addr[64];
                while (zmq_recv (s, addr, sizeof addr, 0) >= 0) {
                    int n = zmq_recv (s, buf, sizeof buf - 1, 0);
                    if (n < 0)
                        break;
                    buf[n] = '\0';
                    if (strcmp (buf, want) == 0) {
                        got = 1;
                        break;
                    }
                }
            }
            if (!got)
                finish (2, "no answer to '%s'", want);
        }
    }
    zmq_close (s);
    zmq_ctx_term (ctx);
    puts ("DONE");
    return 0;
}
