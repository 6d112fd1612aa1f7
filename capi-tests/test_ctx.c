/*  Contexts: creation and termination, every context option of 4.3.5 with its
    default and its invalid values, termination waiting for open sockets, blocked
    calls woken with ETERM, and bad context handles. */
#include "testutil.h"

#include <limits.h>
#include <pthread.h>

static void test_lifecycle (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_term (ctx));

    ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_destroy (ctx));

    /*  zmq_init(n) is the old way: a context with n I/O threads. */
    ctx = CHECK_PTR (zmq_init (0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_RC (zmq_term (ctx));
    ctx = CHECK_PTR (zmq_init (3));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 3);
    CHECK_RC (zmq_ctx_term (ctx));
    CHECK_NULL_ERR (zmq_init (-1), EINVAL);

    /*  Shutdown then term, and shutdown twice. */
    ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_shutdown (ctx));
    CHECK_RC (zmq_ctx_shutdown (ctx));
    CHECK_RC (zmq_ctx_term (ctx));

    /*  A context with sockets that are closed before term. */
    ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    void *b = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (a, "inproc://ctx-lifecycle"));
    CHECK_RC (zmq_connect (b, "inproc://ctx-lifecycle"));
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_defaults (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), ZMQ_IO_THREADS_DFLT);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), ZMQ_MAX_SOCKETS_DFLT);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1023);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), (int) sizeof (zmq_msg_t));
    /*  The default policy is -1, which zmq_ctx_get returns as a value. */
    errno = 0;
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY),
              ZMQ_THREAD_SCHED_POLICY_DFLT);
    CHECK_EQ (errno, 0);
    /*  An empty prefix reads back as the number 0. */
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 0);

    /*  Write-only options and unknown options cannot be read. */
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, 0), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, 11), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, 99), EINVAL);
    CHECK_ERR (zmq_ctx_get (ctx, -1), EINVAL);
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Each option: values accepted and read back, values refused with EINVAL. */
static void test_set_get (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());

    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 0);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 4));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 4);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_IO_THREADS, -1), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 4);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IO_THREADS, 1));

    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 1));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 1);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 256));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 256);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 65535));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 65535);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 0), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, -1), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_SOCKETS), 65535);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, ZMQ_MAX_SOCKETS_DFLT));

    /*  IPV6 and BLOCKY take any non-negative value as a boolean. */
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IPV6, 1));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IPV6, 5));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IPV6), 1);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_IPV6, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IPV6), 0);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_IPV6, -1), EINVAL);

    CHECK_RC (zmq_ctx_set (ctx, ZMQ_BLOCKY, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_BLOCKY), 0);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_BLOCKY, 7));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_BLOCKY, -1), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_BLOCKY), 1);

    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 0);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, 1024));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), 1024);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, INT_MAX));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MAX_MSGSZ), INT_MAX);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MAX_MSGSZ, -1), EINVAL);

    /*  MSG_T_SIZE is read-only. */
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 64), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_MSG_T_SIZE, 0), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_MSG_T_SIZE), 64);

    /*  ZMQ_SOCKET_LIMIT and ZMQ_THREAD_PRIORITY share the number 3: reading it
        gives the socket limit, writing it sets the I/O threads' priority
        (non-negative), and the socket limit never changes. */
    CHECK_EQ (ZMQ_SOCKET_LIMIT, ZMQ_THREAD_PRIORITY);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 0));
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, 10));
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_PRIORITY, -1), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_SOCKET_LIMIT), 65535);

    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), 0);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, 2));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), 2);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_SCHED_POLICY, -1), EINVAL);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_SCHED_POLICY), 2);

    /*  CPUs are added to and removed from a set; removing one that is not in
        the set fails. */
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), EINVAL);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0));
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 1));
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0));
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), EINVAL);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 1));
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, -1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, -1), EINVAL);

    /*  Through zmq_ctx_set the name prefix is a number. */
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 42));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 42);
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_THREAD_NAME_PREFIX, 0));
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_THREAD_NAME_PREFIX), 0);

    CHECK_ERR (zmq_ctx_set (ctx, 0, 1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, 11, 1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, 99, 1), EINVAL);
    CHECK_ERR (zmq_ctx_set (ctx, -1, 1), EINVAL);

    CHECK_RC (zmq_ctx_term (ctx));
}

/*  MAX_SOCKETS limits how many sockets can be open at once. */
static void test_max_sockets (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_set (ctx, ZMQ_MAX_SOCKETS, 2));
    void *a = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    void *b = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PAIR), EMFILE);
    /*  A closed socket's slot is freed asynchronously in libzmq, so there is
        no check that a new socket fits right after a close. */
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

struct closer_args
{
    void *socket;
    int delay_ms;
};

static void *close_later (void *arg)
{
    struct closer_args *ca = (struct closer_args *) arg;
    msleep (ca->delay_ms);
    CHECK_RC (zmq_close (ca->socket));
    return NULL;
}

/*  zmq_ctx_term waits until every socket is closed. */
static void test_term_waits_for_close (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (s, "inproc://ctx-wait"));

    struct closer_args ca = {s, 300};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, close_later, &ca) == 0);
    long long start = now_ms ();
    CHECK_RC (zmq_ctx_term (ctx));
    long long elapsed = now_ms () - start;
    CHECK (pthread_join (t, NULL) == 0);
    if (elapsed < 250)
        TEST_FAIL_ ("zmq_ctx_term returned after %lld ms, before the socket "
                    "was closed",
                    elapsed);
}

struct receiver_args
{
    void *socket;
    int recv_rc;
    int recv_errno;
    int use_msg;
};

/*  Blocks in a receive until the context ends, then closes its socket. */
static void *blocked_receiver (void *arg)
{
    struct receiver_args *ra = (struct receiver_args *) arg;
    if (ra->use_msg) {
        zmq_msg_t msg;
        CHECK_RC (zmq_msg_init (&msg));
        ra->recv_rc = zmq_msg_recv (&msg, ra->socket, 0);
        ra->recv_errno = errno;
        CHECK_RC (zmq_msg_close (&msg));
    } else {
        char buf[16];
        ra->recv_rc = zmq_recv (ra->socket, buf, sizeof buf, 0);
        ra->recv_errno = errno;
    }
    int linger = 0;
    /*  The socket may be dead already: a failure here is fine. */
    zmq_setsockopt (ra->socket, ZMQ_LINGER, &linger, sizeof linger);
    CHECK_RC (zmq_close (ra->socket));
    return NULL;
}

/*  A thread blocked in a receive gets ETERM when the context is terminated
    (use_shutdown = 0) or shut down (use_shutdown = 1). */
static void test_eterm_wakes_receiver (int use_shutdown, int use_msg)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (s, "inproc://ctx-eterm"));

    struct receiver_args ra = {s, 0, 0, use_msg};
    pthread_t t;
    CHECK (pthread_create (&t, NULL, blocked_receiver, &ra) == 0);
    msleep (200);
    if (use_shutdown) {
        CHECK_RC (zmq_ctx_shutdown (ctx));
        CHECK (pthread_join (t, NULL) == 0);
        CHECK_RC (zmq_ctx_term (ctx));
    } else {
        CHECK_RC (zmq_ctx_term (ctx));
        CHECK (pthread_join (t, NULL) == 0);
    }
    CHECK_EQ (ra.recv_rc, -1);
    CHECK_EQ (ra.recv_errno, ETERM);
}

/*  After zmq_ctx_shutdown every operation on the context's sockets fails with
    ETERM, and no new socket can be made; the context itself stays readable
    until zmq_ctx_term. */
static void test_after_shutdown (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    void *b = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (a, "inproc://ctx-shutdown"));
    CHECK_RC (zmq_ctx_shutdown (ctx));

    CHECK_NULL_ERR (zmq_socket (ctx, ZMQ_PAIR), ETERM);
    CHECK_EQ (zmq_ctx_get (ctx, ZMQ_IO_THREADS), 1);

    char buf[8];
    CHECK_ERR (zmq_send (a, "x", 1, 0), ETERM);
    CHECK_ERR (zmq_send (a, "x", 1, ZMQ_DONTWAIT), ETERM);
    CHECK_ERR (zmq_recv (a, buf, sizeof buf, 0), ETERM);
    CHECK_ERR (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT), ETERM);
    CHECK_ERR (zmq_bind (b, "inproc://ctx-shutdown-2"), ETERM);
    CHECK_ERR (zmq_connect (b, "inproc://ctx-shutdown"), ETERM);
    CHECK_ERR (zmq_unbind (a, "inproc://ctx-shutdown"), ETERM);
    int v = 0;
    size_t len = sizeof v;
    CHECK_ERR (zmq_setsockopt (a, ZMQ_LINGER, &v, sizeof v), ETERM);
    CHECK_ERR (zmq_getsockopt (a, ZMQ_LINGER, &v, &len), ETERM);

    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init_size (&msg, 3));
    CHECK_ERR (zmq_msg_send (&msg, a, 0), ETERM);
    CHECK_ERR (zmq_msg_recv (&msg, a, 0), ETERM);
    CHECK_RC (zmq_msg_close (&msg));

    zmq_pollitem_t item = {a, 0, ZMQ_POLLIN, 0};
    CHECK_ERR (zmq_poll (&item, 1, 0), ETERM);

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Handles that are not contexts. libzmq recognises its objects by a tag in
    their first bytes, so zero-filled memory is a safe "invalid context". */
static void test_bad_context (void)
{
    CHECK_ERR (zmq_ctx_term (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_destroy (NULL), EFAULT);
    CHECK_ERR (zmq_term (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_shutdown (NULL), EFAULT);
    CHECK_ERR (zmq_ctx_set (NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR (zmq_ctx_get (NULL, ZMQ_IO_THREADS), EFAULT);
    CHECK_NULL_ERR (zmq_socket (NULL, ZMQ_PAIR), EFAULT);

    static uint64_t junk[8192];
    CHECK_ERR (zmq_ctx_term (junk), EFAULT);
    CHECK_ERR (zmq_ctx_shutdown (junk), EFAULT);
    CHECK_ERR (zmq_ctx_set (junk, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR (zmq_ctx_get (junk, ZMQ_IO_THREADS), EFAULT);
    CHECK_NULL_ERR (zmq_socket (junk, ZMQ_PAIR), EFAULT);
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_lifecycle ();
    test_defaults ();
    test_set_get ();
    test_max_sockets ();
    test_term_waits_for_close ();
    test_eterm_wakes_receiver (0, 0);
    test_eterm_wakes_receiver (1, 0);
    test_eterm_wakes_receiver (0, 1);
    test_eterm_wakes_receiver (1, 1);
    test_after_shutdown ();
    test_bad_context ();
    return 0;
}
