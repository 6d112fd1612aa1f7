// zmq_proxy over inproc: ROUTER/DEALER forwarding REQ/REP both ways,
// XSUB/XPUB forwarding subscriptions upstream and data downstream,
// PULL/PUSH streaming, a capture socket receiving a copy of every frame, and
// the proxy ending with -1/ETERM when its context is terminated.
#include "testutil.h"
#include <pthread.h>

struct proxy_args
{
    void *frontend;
    void *backend;
    void *capture;
    int rc;
    int err;
};

//  Runs the proxy, then closes its sockets so the context can terminate.
static void *run_proxy (void *arg)
{
    struct proxy_args *p = (struct proxy_args *) arg;
    p->rc = zmq_proxy (p->frontend, p->backend, p->capture);
    p->err = errno;
    CHECK_RC (zmq_close (p->frontend));
    CHECK_RC (zmq_close (p->backend));
    if (p->capture)
        CHECK_RC (zmq_close (p->capture));
    return NULL;
}

//  Terminates the context and checks the proxy ended with ETERM.
static void finish (void *ctx, pthread_t thread, struct proxy_args *args)
{
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK (pthread_join (thread, NULL) == 0);
    CHECK (args->rc == -1);
    CHECK (args->err == ETERM);
}

//  Receives one whole message from the capture socket and checks it has
//  the given parts (NULL entries match any content).
static void expect_capture (void *capture, const char *const *parts, int n)
{
    for (int i = 0; i < n; i++) {
        char buf[256];
        CHECK (CHECK_RC (recv_buf (capture, buf, sizeof buf, 0)) >= 0);
        if (parts[i])
            CHECK (strcmp (buf, parts[i]) == 0);
        CHECK (RCVMORE (capture) == (i < n - 1));
    }
}

static void test_queue_with_capture (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_ROUTER),
                              SOCKET (ctx, ZMQ_DEALER),
                              SOCKET (ctx, ZMQ_PUSH), 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://front"));
    CHECK_RC (zmq_bind (args.backend, "inproc://back"));
    CHECK_RC (zmq_bind (args.capture, "inproc://capture"));
    void *capture = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (capture, "inproc://capture"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    //  Two clients and two services.
    void *req[2], *rep[2];
    for (int i = 0; i < 2; i++) {
        req[i] = SOCKET (ctx, ZMQ_REQ);
        char id[8];
        snprintf (id, sizeof id, "C%d", i);
        CHECK_RC (zmq_setsockopt (req[i], ZMQ_ROUTING_ID, id, 2));
        CHECK_RC (zmq_connect (req[i], "inproc://front"));
        rep[i] = SOCKET (ctx, ZMQ_REP);
        CHECK_RC (zmq_connect (rep[i], "inproc://back"));
    }

    //  One request: the service sees the body alone, the client the reply,
    //  and the capture socket a copy of the request envelope and of the
    //  reply envelope, frame by frame.
    SEND_STR (req[0], "hello", 0);
    zmq_pollitem_t items[2] = {{rep[0], 0, ZMQ_POLLIN, 0},
                               {rep[1], 0, ZMQ_POLLIN, 0}};
    CHECK (CHECK_RC (zmq_poll (items, 2, 5000)) == 1);
    void *service = items[0].revents ? rep[0] : rep[1];
    RECV_STR (service, "hello", 0);
    CHECK (RCVMORE (service) == 0);
    SEND_STR (service, "world", 0);
    RECV_STR (req[0], "world", 0);
    {
        const char *request[] = {"C0", "", "hello"};
        expect_capture (capture, request, 3);
        const char *reply[] = {"C0", "", "world"};
        expect_capture (capture, reply, 3);
    }

    //  Many requests from both clients, multipart bodies included.
    for (int round = 0; round < 10; round++) {
        for (int c = 0; c < 2; c++) {
            char body[32];
            snprintf (body, sizeof body, "r%d-c%d", round, c);
            SEND_STR (req[c], body, ZMQ_SNDMORE);
            SEND_STR (req[c], "tail", 0);
        }
        for (int k = 0; k < 2; k++) {
            CHECK (CHECK_RC (zmq_poll (items, 2, 5000)) >= 1);
            service = items[0].revents ? rep[0] : rep[1];
            char body[32];
            CHECK_RC (recv_buf (service, body, sizeof body, 0));
            CHECK (RCVMORE (service) == 1);
            RECV_STR (service, "tail", 0);
            SEND_STR (service, body, 0);
        }
        for (int c = 0; c < 2; c++) {
            char body[32];
            snprintf (body, sizeof body, "r%d-c%d", round, c);
            RECV_STR (req[c], body, 0);
            CHECK (RCVMORE (req[c]) == 0);
        }
    }
    //  The capture saw 20 requests of 4 parts and 20 replies of 3.
    int sizes[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 40; i++) {
        char buf[64];
        CHECK_RC (recv_buf (capture, buf, sizeof buf, 0));
        int parts = 1;
        while (RCVMORE (capture)) {
            CHECK_RC (recv_buf (capture, buf, sizeof buf, 0));
            parts++;
        }
        CHECK (parts == 4 || parts == 3);
        sizes[parts]++;
    }
    CHECK (sizes[3] == 20 && sizes[4] == 20);
    char buf[16];
    CHECK_ERR (zmq_recv (capture, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    for (int i = 0; i < 2; i++) {
        CHECK_RC (zmq_close (req[i]));
        CHECK_RC (zmq_close (rep[i]));
    }
    SET_INT (capture, ZMQ_LINGER, 0);
    CHECK_RC (zmq_close (capture));
    finish (ctx, thread, &args);
}

static void test_forwarder (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_XSUB),
                              SOCKET (ctx, ZMQ_XPUB), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://fwd-in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://fwd-out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);

    void *pub = SOCKET (ctx, ZMQ_PUB);
    void *sub = SOCKET (ctx, ZMQ_SUB);
    CHECK_RC (zmq_connect (pub, "inproc://fwd-in"));
    CHECK_RC (zmq_connect (sub, "inproc://fwd-out"));
    //  The subscription travels upstream through the proxy to the PUB.
    CHECK_RC (zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "A", 1));
    int synced = 0;
    for (int attempt = 0; attempt < 500 && !synced; attempt++) {
        SEND_STR (pub, "A-sync", 0);
        zmq_pollitem_t item = {sub, 0, ZMQ_POLLIN, 0};
        synced = CHECK_RC (zmq_poll (&item, 1, 10));
    }
    CHECK (synced);
    SEND_STR (pub, "B-skip", 0);
    SEND_STR (pub, "A-data", ZMQ_SNDMORE);
    SEND_STR (pub, "more", 0);
    SEND_STR (pub, "A-end", 0);
    char buf[32];
    for (;;) {
        CHECK_RC (recv_buf (sub, buf, sizeof buf, 0));
        if (strcmp (buf, "A-sync") != 0)
            break;
    }
    CHECK (strcmp (buf, "A-data") == 0);
    CHECK (RCVMORE (sub));
    RECV_STR (sub, "more", 0);
    RECV_STR (sub, "A-end", 0);

    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (sub));
    finish (ctx, thread, &args);
}

static void test_streamer (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    struct proxy_args args = {SOCKET (ctx, ZMQ_PULL),
                              SOCKET (ctx, ZMQ_PUSH), NULL, 0, 0};
    CHECK_RC (zmq_bind (args.frontend, "inproc://stream-in"));
    CHECK_RC (zmq_bind (args.backend, "inproc://stream-out"));
    pthread_t thread;
    CHECK (pthread_create (&thread, NULL, run_proxy, &args) == 0);
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);
    CHECK_RC (zmq_connect (push, "inproc://stream-in"));
    CHECK_RC (zmq_connect (pull, "inproc://stream-out"));
    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        SEND_STR (push, buf, 0);
    }
    for (int i = 0; i < 100; i++) {
        char buf[16];
        snprintf (buf, sizeof buf, "%d", i);
        RECV_STR (pull, buf, 0);
    }
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    finish (ctx, thread, &args);
}

static void test_errors (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = SOCKET (ctx, ZMQ_DEALER);
    CHECK_ERR (zmq_proxy (NULL, s, NULL), EFAULT);
    CHECK_ERR (zmq_proxy (s, NULL, NULL), EFAULT);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_errors ();
    test_queue_with_capture ();
    test_forwarder ();
    test_streamer ();
    return 0;
}
