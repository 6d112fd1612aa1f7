/*  The exchange of test_thread_safe*.c: several threads send on one CLIENT
    while several others receive on its SERVER and reply, and more threads
    receive the replies on the CLIENT, all at once; every message and every
    reply must be delivered exactly once. Include after testutil.h, with
    ZMQ_BUILD_DRAFT_API defined. */
#ifndef CAPI_THREAD_SAFE_H
#define CAPI_THREAD_SAFE_H

#include <pthread.h>

#define THREADS 4
#define PER_THREAD 2500
#define TOTAL (THREADS * PER_THREAD)

static void *client, *server;
static unsigned char seen_request[TOTAL], seen_reply[TOTAL];
static int requests, replies;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int failed;

/*  Marks id as seen in `seen`; fails on a second delivery. Returns the count
    after it. */
static int mark (unsigned char *seen, int *count, int id)
{
    pthread_mutex_lock (&lock);
    if (id < 0 || id >= TOTAL || seen[id]) {
        failed = 1;
        fprintf (stderr, "message %d delivered twice (or out of range)\n", id);
    } else
        seen[id] = 1;
    int n = ++*count;
    pthread_mutex_unlock (&lock);
    return n;
}

static int done (int *count)
{
    pthread_mutex_lock (&lock);
    int n = *count;
    pthread_mutex_unlock (&lock);
    return n >= TOTAL || failed;
}

static void *sender (void *arg)
{
    int first = (int) (intptr_t) arg * PER_THREAD;
    for (int i = 0; i < PER_THREAD; i++) {
        int id = first + i;
        if (zmq_send (client, &id, sizeof id, 0) != sizeof id) {
            failed = 1;
            break;
        }
    }
    return NULL;
}

/*  Receives requests on the SERVER and echoes each to the client it came from. */
static void *worker (void *arg)
{
    (void) arg;
    while (!done (&requests)) {
        zmq_msg_t m;
        zmq_msg_init (&m);
        if (zmq_msg_recv (&m, server, 0) != sizeof (int)) {
            zmq_msg_close (&m);
            if (errno == EAGAIN)
                continue; /* the receive timeout: look at the count again */
            failed = 1;
            break;
        }
        int id;
        memcpy (&id, zmq_msg_data (&m), sizeof id);
        mark (seen_request, &requests, id);
        /*  The same message goes back, its routing id naming the client. */
        if (zmq_msg_send (&m, server, 0) != sizeof (int)) {
            failed = 1;
            zmq_msg_close (&m);
            break;
        }
    }
    return NULL;
}

static void *reply_reader (void *arg)
{
    (void) arg;
    while (!done (&replies)) {
        int id;
        int n = zmq_recv (client, &id, sizeof id, 0);
        if (n != sizeof id) {
            if (n < 0 && errno == EAGAIN)
                continue;
            failed = 1;
            break;
        }
        mark (seen_reply, &replies, id);
    }
    return NULL;
}

static void run (void *ctx, const char *bind_to)
{
    memset (seen_request, 0, sizeof seen_request);
    memset (seen_reply, 0, sizeof seen_reply);
    requests = replies = 0;
    server = SOCKET (ctx, ZMQ_SERVER);
    client = SOCKET (ctx, ZMQ_CLIENT);
    SET_INT (server, ZMQ_RCVTIMEO, 200);
    SET_INT (client, ZMQ_RCVTIMEO, 200);
    SET_INT (server, ZMQ_SNDHWM, 0);
    SET_INT (client, ZMQ_RCVHWM, 0);
    CHECK_RC (zmq_bind (server, bind_to));
    char endpoint[128];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (server, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_RC (zmq_connect (client, endpoint));

    pthread_t t[3 * THREADS];
    for (int i = 0; i < THREADS; i++) {
        CHECK (pthread_create (&t[i], NULL, worker, NULL) == 0);
        CHECK (pthread_create (&t[THREADS + i], NULL, reply_reader, NULL) == 0);
    }
    for (int i = 0; i < THREADS; i++)
        CHECK (pthread_create (&t[2 * THREADS + i], NULL, sender,
                               (void *) (intptr_t) i)
               == 0);
    for (int i = 0; i < 3 * THREADS; i++)
        pthread_join (t[i], NULL);
    CHECK (!failed);
    CHECK_EQ (requests, TOTAL);
    CHECK_EQ (replies, TOTAL);
    for (int i = 0; i < TOTAL; i++)
        CHECK (seen_request[i] && seen_reply[i]);
    CHECK_RC (zmq_close (client));
    CHECK_RC (zmq_close (server));
}

#endif
