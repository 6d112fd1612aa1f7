// PUSH/PULL over inproc: round-robin to several PULLs, fair-queueing from
// several PUSHes, high-water marks (an inproc pipe holds the sender's SNDHWM
// plus the receiver's RCVHWM), SNDTIMEO, IMMEDIATE and CONFLATE.
#include "testutil.h"

static void test_round_robin (void *ctx)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pulls[3];
    CHECK_RC (zmq_bind (push, "inproc://rr"));
    for (int i = 0; i < 3; i++) {
        pulls[i] = SOCKET (ctx, ZMQ_PULL);
        CHECK_RC (zmq_connect (pulls[i], "inproc://rr"));
    }
    //  Each PULL gets every third message, in order.
    for (int i = 0; i < 9; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        SEND_STR (push, buf, 0);
    }
    int first[3];
    for (int p = 0; p < 3; p++) {
        char buf[16];
        CHECK (recv_buf (pulls[p], buf, sizeof buf, 0) == 1);
        first[p] = buf[0] - '0';
        for (int k = 1; k < 3; k++) {
            char want[16];
            snprintf (want, sizeof want, "%d", first[p] + 3 * k);
            RECV_STR (pulls[p], want, 0);
        }
        CHECK_ERR (zmq_recv (pulls[p], buf, sizeof buf, ZMQ_DONTWAIT),
                   EAGAIN);
    }
    CHECK (first[0] != first[1] && first[1] != first[2]
           && first[0] != first[2]);

    //  A multipart message goes whole to one PULL.
    SEND_STR (push, "a", ZMQ_SNDMORE);
    SEND_STR (push, "b", 0);
    int got = 0;
    for (int p = 0; p < 3; p++) {
        char buf[16];
        if (recv_buf (pulls[p], buf, sizeof buf, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            continue;
        }
        CHECK (strcmp (buf, "a") == 0 && RCVMORE (pulls[p]) == 1);
        RECV_STR (pulls[p], "b", 0);
        CHECK (RCVMORE (pulls[p]) == 0);
        got++;
    }
    CHECK (got == 1);

    CHECK_RC (zmq_close (push));
    for (int i = 0; i < 3; i++)
        CHECK_RC (zmq_close (pulls[i]));
}

static void test_fair_queue (void *ctx)
{
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://fq"));
    void *pushes[3];
    for (int i = 0; i < 3; i++) {
        pushes[i] = SOCKET (ctx, ZMQ_PUSH);
        CHECK_RC (zmq_connect (pushes[i], "inproc://fq"));
    }
    //  Every sender queues four two-part messages before anything is read.
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++) {
            char buf[16];
            snprintf (buf, sizeof buf, "%c%d", 'A' + i, k);
            SEND_STR (pushes[i], buf, ZMQ_SNDMORE);
            SEND_STR (pushes[i], "end", 0);
        }
    //  The PULL takes one message from each sender in turn: every round of
    //  three holds one message of each, and each sender's order is kept.
    int next[3] = {0, 0, 0};
    for (int round = 0; round < 4; round++) {
        int seen = 0;
        for (int k = 0; k < 3; k++) {
            char buf[16];
            CHECK (CHECK_RC (recv_buf (pull, buf, sizeof buf, 0)) == 2);
            const int who = buf[0] - 'A';
            CHECK (who >= 0 && who < 3);
            CHECK (buf[1] - '0' == next[who]);
            next[who]++;
            seen |= 1 << who;
            CHECK (RCVMORE (pull) == 1);
            RECV_STR (pull, "end", 0);
            CHECK (RCVMORE (pull) == 0);
        }
        CHECK (seen == 7);
    }
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_close (pull));
    for (int i = 0; i < 3; i++)
        CHECK_RC (zmq_close (pushes[i]));
}

//  Sends one-byte messages without blocking until the pipe is full.
static int fill (void *push, int limit)
{
    int n = 0;
    while (n < limit) {
        if (zmq_send (push, "x", 1, ZMQ_DONTWAIT) == -1) {
            CHECK (errno == EAGAIN);
            break;
        }
        n++;
    }
    return n;
}

static void hwm_case (void *ctx, int sndhwm, int rcvhwm, int connect_first,
                      const char *endpoint)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, sndhwm);
    SET_INT (pull, ZMQ_RCVHWM, rcvhwm);
    CHECK (GET_INT (push, ZMQ_SNDHWM) == sndhwm);
    CHECK (GET_INT (pull, ZMQ_RCVHWM) == rcvhwm);
    if (connect_first) {
        CHECK_RC (zmq_connect (push, endpoint));
        CHECK_RC (zmq_bind (pull, endpoint));
    } else {
        CHECK_RC (zmq_bind (pull, endpoint));
        CHECK_RC (zmq_connect (push, endpoint));
    }
    const int capacity = sndhwm + rcvhwm;
    CHECK (fill (push, capacity + 100) == capacity);
    CHECK ((GET_INT (push, ZMQ_EVENTS) & ZMQ_POLLOUT) == 0);
    //  A blocking send waits for room, until SNDTIMEO.
    SET_INT (push, ZMQ_SNDTIMEO, 50);
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);

    //  Draining the queue makes room again.
    for (int i = 0; i < capacity; i++)
        RECV_STR (pull, "x", 0);
    char buf[4];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 2000);
    SEND_STR (push, "y", 0);
    RECV_STR (pull, "y", 0);

    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_hwm (void *ctx)
{
    //  Defaults are 1000 each way.
    void *s = SOCKET (ctx, ZMQ_PUSH);
    CHECK (GET_INT (s, ZMQ_SNDHWM) == 1000);
    CHECK (GET_INT (s, ZMQ_RCVHWM) == 1000);
    CHECK_RC (zmq_close (s));

    hwm_case (ctx, 5, 5, 0, "inproc://hwm-a");
    hwm_case (ctx, 5, 5, 1, "inproc://hwm-b");
    hwm_case (ctx, 1, 1, 0, "inproc://hwm-c");
    hwm_case (ctx, 3, 7, 0, "inproc://hwm-d");
    hwm_case (ctx, 3, 7, 1, "inproc://hwm-e");
    hwm_case (ctx, 1000, 1000, 0, "inproc://hwm-f");

    //  A multipart message counts once against the high-water mark, and is
    //  accepted or refused as a whole (the first part decides).
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, 2);
    SET_INT (pull, ZMQ_RCVHWM, 2);
    CHECK_RC (zmq_bind (pull, "inproc://hwm-multipart"));
    CHECK_RC (zmq_connect (push, "inproc://hwm-multipart"));
    for (int i = 0; i < 4; i++) {
        SEND_STR (push, "1", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        SEND_STR (push, "2", ZMQ_SNDMORE | ZMQ_DONTWAIT);
        SEND_STR (push, "3", ZMQ_DONTWAIT);
    }
    CHECK_ERR (zmq_send (push, "1", 1, ZMQ_SNDMORE | ZMQ_DONTWAIT), EAGAIN);
    for (int i = 0; i < 4; i++) {
        RECV_STR (pull, "1", 0);
        RECV_STR (pull, "2", 0);
        RECV_STR (pull, "3", 0);
        CHECK (RCVMORE (pull) == 0);
    }
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));

    //  Over inproc the two marks are added; when either side is 0 (no
    //  limit) the pipe has no limit.
    push = SOCKET (ctx, ZMQ_PUSH);
    pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (push, ZMQ_SNDHWM, 10);
    SET_INT (pull, ZMQ_RCVHWM, 0);
    CHECK_RC (zmq_bind (pull, "inproc://hwm-unlimited"));
    CHECK_RC (zmq_connect (push, "inproc://hwm-unlimited"));
    CHECK (fill (push, 5000) == 5000);
    for (int i = 0; i < 5000; i++)
        RECV_STR (pull, "x", 0);
    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

static void test_sndtimeo (void *ctx)
{
    //  No peer at all: a PUSH has nowhere to put the message.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK_RC (zmq_bind (push, "inproc://sndtimeo"));
    CHECK (GET_INT (push, ZMQ_SNDTIMEO) == -1);
    CHECK_ERR (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 0);
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);
    SET_INT (push, ZMQ_SNDTIMEO, 200);
    const long long start = now_ms ();
    CHECK_ERR (zmq_send (push, "x", 1, 0), EAGAIN);
    const long long elapsed = now_ms () - start;
    CHECK (elapsed >= 150);
    CHECK (elapsed < 5000);

    //  RCVTIMEO likewise on an empty PULL.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    SET_INT (pull, ZMQ_RCVTIMEO, 100);
    char buf[4];
    const long long start2 = now_ms ();
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, 0), EAGAIN);
    CHECK (now_ms () - start2 >= 70);
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push));
}

static void test_immediate (void *ctx)
{
    void *push = SOCKET (ctx, ZMQ_PUSH);
    CHECK (GET_INT (push, ZMQ_IMMEDIATE) == 0);
    SET_INT (push, ZMQ_IMMEDIATE, 1);
    CHECK (GET_INT (push, ZMQ_IMMEDIATE) == 1);
    //  Without any connection there is no pipe to queue on.
    CHECK_ERR (zmq_send (push, "x", 1, ZMQ_DONTWAIT), EAGAIN);

    //  Inproc connections are complete as soon as both ends exist.
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull, "inproc://immediate"));
    CHECK_RC (zmq_connect (push, "inproc://immediate"));
    SEND_STR (push, "now", ZMQ_DONTWAIT);
    RECV_STR (pull, "now", 0);

    //  libzmq gives an inproc connect to a not-yet-bound endpoint its pipe
    //  at once, IMMEDIATE or not: messages queue until the bind.
    void *push2 = SOCKET (ctx, ZMQ_PUSH);
    SET_INT (push2, ZMQ_IMMEDIATE, 1);
    CHECK_RC (zmq_connect (push2, "inproc://immediate-later"));
    SEND_STR (push2, "queued", ZMQ_DONTWAIT);
    void *pull2 = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_bind (pull2, "inproc://immediate-later"));
    RECV_STR (pull2, "queued", 0);

    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_close (push2));
    CHECK_RC (zmq_close (pull2));
}

static void test_conflate (void *ctx)
{
    //  The connecting PULL has CONFLATE: only the newest message is kept.
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK (GET_INT (pull, ZMQ_CONFLATE) == 0);
    SET_INT (pull, ZMQ_CONFLATE, 1);
    CHECK (GET_INT (pull, ZMQ_CONFLATE) == 1);
    CHECK_RC (zmq_bind (push, "inproc://conflate"));
    CHECK_RC (zmq_connect (pull, "inproc://conflate"));
    //  A conflated pipe has no high-water mark: sends never block.
    for (int i = 0; i < 2000; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "msg%d", i);
        SEND_STR (push, buf, ZMQ_DONTWAIT);
    }
    RECV_STR (pull, "msg1999", 0);
    char buf[16];
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    //  And again after the queue was emptied.
    SEND_STR (push, "a", 0);
    SEND_STR (push, "b", 0);
    RECV_STR (pull, "b", 0);
    CHECK_ERR (zmq_recv (pull, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    SEND_STR (push, "c", 0);
    RECV_STR (pull, "c", 0);

    SET_INT (push, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    test_round_robin (ctx);
    test_fair_queue (ctx);
    test_hwm (ctx);
    test_sndtimeo (ctx);
    test_immediate (ctx);
    test_conflate (ctx);
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
