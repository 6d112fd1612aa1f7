/* This library's side of the jszmq interop (interop/ws/run.sh): one bound socket
 * that a jszmq socket connects to over ws://.
 *
 *   zmq_side rep|req|pub|sub <endpoint>
 *
 * Prints "ENDPOINT <endpoint>" once bound, then:
 *   rep  answers each request [a, b] with ["re:" a (200 bytes at most), b] until
 *        one says "quit";
 *   req  sends 10 requests [hello i, part two] and 1 of 100000 bytes, checks the
 *        answers ["re:" a, b] (whole: 100003 bytes for the large one);
 *   pub  publishes "topic-a <i>" and "topic-b <i>" every 10 ms until stdin closes;
 *   sub  subscribes to "topic-a", expects 5 such messages and nothing else.
 * Prints DONE and exits 0, or FAIL <why> and exits 1 (bounded by 20 s).
 */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

static void fail (const char *why)
{
    printf ("FAIL %s (%s)\n", why, zmq_strerror (zmq_errno ()));
    exit (1);
}

static int recv_part (void *s, char *buf, int cap, int *more)
{
    const int n = zmq_recv (s, buf, (size_t) cap - 1, 0);
    if (n < 0)
        fail ("recv");
    buf[n < cap - 1 ? n : cap - 1] = 0;
    int m = 0;
    size_t len = sizeof m;
    zmq_getsockopt (s, ZMQ_RCVMORE, &m, &len);
    *more = m;
    return n;
}

static void send_part (void *s, const void *data, size_t len, int more)
{
    if (zmq_send (s, data, len, more ? ZMQ_SNDMORE : 0) != (int) len)
        fail ("send");
}

int main (int argc, char **argv)
{
    if (argc != 3)
        return 3;
    alarm (20);
    const char *mode = argv[1];
    const int type = !strcmp (mode, "rep")   ? ZMQ_REP
                     : !strcmp (mode, "req") ? ZMQ_REQ
                     : !strcmp (mode, "pub") ? ZMQ_PUB
                                             : ZMQ_SUB;
    void *ctx = zmq_ctx_new ();
    void *s = zmq_socket (ctx, type);
    int timeout = 10000, linger = 0;
    zmq_setsockopt (s, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_bind (s, argv[2]) != 0)
        fail ("bind");
    char ep[256];
    size_t len = sizeof ep;
    zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, ep, &len);
    printf ("ENDPOINT %s\n", ep);
    fflush (stdout);

    static char buf[200000], buf2[256];
    int more;
    if (type == ZMQ_REP) {
        for (;;) {
            const int n = recv_part (s, buf, sizeof buf, &more);
            if (!more)
                fail ("a request of one part");
            recv_part (s, buf2, sizeof buf2, &more);
            if (more)
                fail ("a request of three parts");
            char head[300];
            snprintf (head, sizeof head, "re:%.*s", n > 200 ? 200 : n, buf);
            send_part (s, head, strlen (head), 1);
            send_part (s, buf2, strlen (buf2), 0);
            if (!strcmp (buf, "quit"))
                break;
        }
    } else if (type == ZMQ_REQ) {
        for (int i = 0; i <= 10; i++) {
            char req[64];
            size_t n;
            if (i < 10) {
                snprintf (buf, sizeof buf, "hello %d", i);
                n = strlen (buf);
            } else {
                n = 100000;
                memset (buf, 'x', n);
            }
            send_part (s, buf, n, 1);
            send_part (s, "part two", 8, 0);
            const int got = recv_part (s, buf2, sizeof buf2, &more);
            snprintf (req, sizeof req, "re:%.*s", (int) (n > 20 ? 20 : n), buf);
            if (!more || strncmp (buf2, req, strlen (req)) != 0 || got != (int) n + 3)
                fail ("a wrong answer");
            recv_part (s, buf2, sizeof buf2, &more);
            if (more || strcmp (buf2, "part two") != 0)
                fail ("a wrong second part");
        }
    } else if (type == ZMQ_PUB) {
        struct pollfd in = {0, POLLIN, 0};
        for (int i = 0; poll (&in, 1, 10) == 0; i++) {
            char m[64];
            snprintf (m, sizeof m, "topic-a %d", i);
            send_part (s, m, strlen (m), 0);
            snprintf (m, sizeof m, "topic-b %d", i);
            send_part (s, m, strlen (m), 0);
        }
    } else {
        zmq_setsockopt (s, ZMQ_SUBSCRIBE, "topic-a", 7);
        for (int i = 0; i < 5; i++) {
            recv_part (s, buf, sizeof buf, &more);
            if (strncmp (buf, "topic-a ", 8) != 0 || more)
                fail ("a message not subscribed to");
        }
    }
    printf ("DONE\n");
    zmq_close (s);
    zmq_ctx_term (ctx);
    return 0;
}
