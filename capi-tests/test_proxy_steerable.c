// zmq_proxy_steerable over inproc: PAUSE, RESUME, STATISTICS (eight uint64
// frames) and TERMINATE on a PAIR control socket, STATISTICS and TERMINATE
// on a REP control socket driven by a REQ, and zmq_device (ZMQ_QUEUE)
// forwarding like zmq_proxy until its context is terminated.
#include "testutil.h"
#include <pthread.h>
#include <stdint.h>

struct proxy_args
{
    void *frontend;
    void *backend;
    void *control; //  NULL: run zmq_device (ZMQ_QUEUE, ...) instead
    int rc;
    int err;
};

static void *run_proxy (void *arg)
{
    struct proxy_args *p = (struct proxy_args *) arg;
    if (p->control)
        p->rc = zmq_proxy_steerable (p->frontend, p->backend, NULL, p->control);
    else
        p->rc = zmq_device (ZMQ_QUEUE, p->frontend, p->backend);
    p->err = errno;
    CHECK_RC (zmq_close (p->frontend));
    CHECK_RC (zmq_close (p->backend));
    if (p->control)
        CHECK_RC (zmq_close (p->control));
    return NULL;
}

//  Checks counters against expected byte totals. Message counters are
//  per whole message in libzmq 4.3.4 and per frame in later releases, so
//  they are checked to lie between the two and to agree with each other.
static void check_stats (const uint64_t stats[8], const uint64_t bytes[4],
                         const uint64_t messages[4], const uint64_t frames[4])
{
    for (int i = 0; i < 4; i++) {
        CHECK (stats[2 * i + 1] == bytes[i]);
        CHECK (stats[2 * i] >= messages[i] && stats[2 * i] <= frames[i]);
    }
    //  What came in at one end went out at the other.
    CHECK (stats[0] == stats[6]);
    CHECK (stats[4] == stats[2]);
}

//  Asks for STATISTICS and checks the reply is 8 frames of 8 bytes.
static void statistics (void *control, uint64_t stats[8])
{
    SEND_STR (control, "STATISTICS", 0);
    for (int i = 0; i < 8; i++) {
        zmq_msg_t frame;
        CHECK_RC (zmq_msg_init (&frame));
        CHECK (CHECK_RC (zmq_msg_recv (&frame, control, 0)) == 8);
        memcpy (&stats[i], zmq_msg_data (&frame), 8);
        CHECK (zmq_msg_more (&frame) == (i < 7));
        CHECK_RC (zmq_msg_close (&frame));
    }
}

//  One request/reply through the proxy: [id][""][body] in at the frontend,
//  3 frames out at the backend, and the same back for the reply.
static void round_trip (void *req, void *rep, const char *body)
{
    SEND_STR (req, body, 0);
    RECV_STR (rep, body, 0);
    SEND_STR (rep, body, 0);
    RECV_STR (req, body, 0);
}

static void test_pair_control (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER),
                              SOCKET (ctx, ZMQ_PAIR), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    CHECK_RC (zmq_bind (args.control, "inproc://control"));
    void *control = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (control, "inproc://control"));
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_setsockopt (req, ZMQ_ROUTING_ID, "REQ1", 4));
    CHECK_RC (zmq_connect (req, "inproc://front"));
    CHECK_RC (zmq_connect (rep, "inproc://back"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    uint64_t stats[8];
    statistics (control, stats);
    for (int i = 0; i < 8; i++)
        CHECK (stats[i] == 0);

    //  Order: frontend received, frontend sent, backend received, backend
    //  sent. In at the frontend: [REQ1][][hello], 1 message of 3 frames,
    //  9 bytes; out at the backend the same; the reply back likewise.
    round_trip (req, rep, "hello");
    statistics (control, stats);
    const uint64_t one_bytes[4] = {9, 9, 9, 9};
    const uint64_t one_msgs[4] = {1, 1, 1, 1};
    const uint64_t one_frames[4] = {3, 3, 3, 3};
    check_stats (stats, one_bytes, one_msgs, one_frames);
    uint64_t before[8];
    memcpy (before, stats, sizeof before);

    //  PAUSE: nothing moves. (The STATISTICS reply proves the proxy has
    //  handled the command before the request is sent.)
    SEND_STR (control, "PAUSE", 0);
    statistics (control, stats);
    SEND_STR (req, "paused", 0);
    char buf[32];
    SET_INT (rep, ZMQ_RCVTIMEO, 200);
    CHECK_ERR (zmq_recv (rep, buf, sizeof buf, 0), EAGAIN);
    statistics (control, stats);
    CHECK (memcmp (stats, before, sizeof before) == 0);

    //  RESUME: the queued request goes through.
    SEND_STR (control, "RESUME", 0);
    SET_INT (rep, ZMQ_RCVTIMEO, 5000);
    RECV_STR (rep, "paused", 0);
    SEND_STR (rep, "resumed", 0);
    RECV_STR (req, "resumed", 0);
    statistics (control, stats);
    //  [REQ1][][paused] is 10 bytes, [REQ1][][resumed] 11.
    const uint64_t two_bytes[4] = {19, 20, 20, 19};
    const uint64_t two_msgs[4] = {2, 2, 2, 2};
    const uint64_t two_frames[4] = {6, 6, 6, 6};
    check_stats (stats, two_bytes, two_msgs, two_frames);

    //  TERMINATE: the proxy returns 0.
    SEND_STR (control, "TERMINATE", 0);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == 0);

    CHECK_RC (zmq_close (control));
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_rep_control (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_PULL), SOCKET (ctx, ZMQ_PUSH),
                              SOCKET (ctx, ZMQ_REP), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://out"));
    CHECK_RC (zmq_bind (args.control, "inproc://control"));
    void *control = SOCKET (ctx, ZMQ_REQ);
    CHECK_RC (zmq_connect (control, "inproc://control"));
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (push, "inproc://in"));
    CHECK_RC (zmq_connect (pull, "inproc://out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    SEND_STR (push, "abc", ZMQ_SNDMORE);
    SEND_STR (push, "de", 0);
    RECV_STR (pull, "abc", 0);
    CHECK (RCVMORE (pull));
    RECV_STR (pull, "de", 0);

    //  STATISTICS is the REP's reply to the REQ's request.
    uint64_t stats[8];
    statistics (control, stats);
    const uint64_t bytes[4] = {5, 0, 0, 5};
    const uint64_t msgs[4] = {1, 0, 0, 1};
    const uint64_t frames[4] = {2, 0, 0, 2};
    check_stats (stats, bytes, msgs, frames);
    statistics (control, stats);

    SEND_STR (control, "TERMINATE", 0);
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == 0);

    SET_INT (control, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (control));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_device (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    void *req = SOCKET (ctx, ZMQ_REQ);
    void *rep = SOCKET (ctx, ZMQ_REP);
    CHECK_RC (zmq_connect (req, "inproc://front"));
    CHECK_RC (zmq_connect (rep, "inproc://back"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);
    for (int i = 0; i < 5; i++)
        round_trip (req, rep, "through the device");
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    //  Like zmq_proxy: terminating the context ends it with ETERM.
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args.rc == -1);
    CHECK (args.err == ETERM);
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_pair_control ();
    test_rep_control ();
    test_device ();
    return 0;
}
