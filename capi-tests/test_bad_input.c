/*  Bad input: wrong handles, invalid types, malformed endpoints, wrong option
    lengths, damaged messages, and operations a socket type does not have.
    Every call here fails cleanly with libzmq's errno.

    libzmq crashes or aborts on some other misuse, so those calls are not
    here; this library intends to be sturdier there:
      - zmq_msg_init, _init_size, _init_data, _close, _size, _data, _more,
        _get, _gets, _copy, _move and _send with a NULL message;
      - zmq_msg_size and zmq_msg_send on a message that was never initialised;
      - zmq_send with a NULL buffer and a non-zero length;
      - zmq_setsockopt / zmq_getsockopt with a NULL value pointer;
      - zmq_device with NULL sockets; zmq_has (NULL); zmq_z85_encode /
        zmq_z85_decode with a NULL destination; zmq_curve_public with a NULL
        key; zmq_atomic_counter_* and zmq_stopwatch_stop on NULL;
        zmq_timers_destroy (NULL). */
#include "testutil.h"

#include <sys/uio.h>

static void test_not_a_socket (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    char buf[8];
    int v = 0;
    size_t len = sizeof v;
    zmq_msg_t msg;
    CHECK_RC (zmq_msg_init (&msg));
    struct iovec iov = {buf, 1};
    size_t count = 1;
    /*  Big enough that libzmq's tag check stays inside it. */
    static uint64_t junk[8192];

    /*  NULL and zero-filled memory are not sockets. (A context is not either,
        but libzmq reads past the end of one to find out.) */
    void *handles[] = {NULL, junk};
    for (int i = 0; i < 2; i++) {
        void *s = handles[i];
        CHECK_ERR (zmq_send (s, "x", 1, 0), ENOTSOCK);
        CHECK_ERR (zmq_send_const (s, "x", 1, 0), ENOTSOCK);
        CHECK_ERR (zmq_recv (s, buf, sizeof buf, 0), ENOTSOCK);
        CHECK_ERR (zmq_msg_send (&msg, s, 0), ENOTSOCK);
        CHECK_ERR (zmq_msg_recv (&msg, s, 0), ENOTSOCK);
        CHECK_ERR (zmq_sendmsg (s, &msg, 0), ENOTSOCK);
        CHECK_ERR (zmq_recvmsg (s, &msg, 0), ENOTSOCK);
        CHECK_ERR (zmq_sendiov (s, &iov, 1, 0), ENOTSOCK);
        CHECK_ERR (zmq_recviov (s, &iov, &count, 0), ENOTSOCK);
        CHECK_ERR (zmq_bind (s, "inproc://bad-input"), ENOTSOCK);
        CHECK_ERR (zmq_connect (s, "inproc://bad-input"), ENOTSOCK);
        CHECK_ERR (zmq_unbind (s, "inproc://bad-input"), ENOTSOCK);
        CHECK_ERR (zmq_disconnect (s, "inproc://bad-input"), ENOTSOCK);
        CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v), ENOTSOCK);
        CHECK_ERR (zmq_getsockopt (s, ZMQ_LINGER, &v, &len), ENOTSOCK);
        CHECK_ERR (zmq_socket_monitor (s, "inproc://bad-input-monitor", 0),
                   ENOTSOCK);
        CHECK_ERR (zmq_close (s), ENOTSOCK);
        zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
        if (s != NULL)
            CHECK_ERR (zmq_poll (&item, 1, 0), ENOTSOCK);
    }

    /*  A socket is not a context. */
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_ERR (zmq_ctx_term (s), EFAULT);
    CHECK_ERR (zmq_ctx_shutdown (s), EFAULT);
    CHECK_ERR (zmq_ctx_set (s, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR (zmq_ctx_get (s, ZMQ_IO_THREADS), EFAULT);
    CHECK_NULL_ERR (zmq_socket (s, ZMQ_PAIR), EFAULT);
    CHECK_RC (zmq_close (s));

    CHECK_NULL_ERR (zmq_socket (NULL, ZMQ_PAIR), EFAULT);

    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A closed socket is no longer a socket, whatever is done with it. */
static void test_closed_socket (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (s, "inproc://bad-input-closed"));
    CHECK_RC (zmq_close (s));

    char buf[4];
    int v = 0;
    size_t len = sizeof v;
    CHECK_ERR (zmq_close (s), ENOTSOCK);
    CHECK_ERR (zmq_send (s, "x", 1, ZMQ_DONTWAIT), ENOTSOCK);
    CHECK_ERR (zmq_recv (s, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSOCK);
    CHECK_ERR (zmq_bind (s, "inproc://bad-input-closed-2"), ENOTSOCK);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &v, sizeof v), ENOTSOCK);
    CHECK_ERR (zmq_getsockopt (s, ZMQ_LINGER, &v, &len), ENOTSOCK);
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_socket_types (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    const int invalid[] = {-1, 21, 100, 1000};
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
        CHECK_NULL_ERR (zmq_socket (ctx, invalid[i]), EINVAL);
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_endpoints (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    int linger = 0;
    CHECK_RC (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger));

    /*  Malformed: no "://", or nothing after it. */
    const char *malformed[] = {"inproc://", "tcp://",   "ipc://",
                               "nonsense",  "",         "inproc",
                               "://x",      "inproc:/x", "tcp://127.0.0.1",
                               "tcp://127.0.0.1:", "tcp://*:abc"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        errno = 0;
        if (zmq_bind (s, malformed[i]) != -1 || errno != EINVAL)
            TEST_FAIL_ ("zmq_bind (\"%s\"): errno %d, expected EINVAL",
                        malformed[i], errno);
        errno = 0;
        if (zmq_connect (s, malformed[i]) != -1 || errno != EINVAL)
            TEST_FAIL_ ("zmq_connect (\"%s\"): errno %d, expected EINVAL",
                        malformed[i], errno);
    }

    /*  Unknown transports; names are case-sensitive. */
    const char *unknown[] = {"foo://bar", "TCP://127.0.0.1:5555", "Inproc://x"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        errno = 0;
        if (zmq_bind (s, unknown[i]) != -1 || errno != EPROTONOSUPPORT)
            TEST_FAIL_ ("zmq_bind (\"%s\"): errno %d, expected EPROTONOSUPPORT",
                        unknown[i], errno);
        errno = 0;
        if (zmq_connect (s, unknown[i]) != -1 || errno != EPROTONOSUPPORT)
            TEST_FAIL_ (
              "zmq_connect (\"%s\"): errno %d, expected EPROTONOSUPPORT",
              unknown[i], errno);
    }

    /*  Transports that exist but not for this socket type. */
    CHECK_ERR (zmq_bind (s, "udp://127.0.0.1:5555"), ENOCOMPATPROTO);
    CHECK_ERR (zmq_connect (s, "udp://127.0.0.1:5555"), ENOCOMPATPROTO);
    /*  Multicast transports are refused as unknown where not built in. */
    const int pgm_err = zmq_has ("pgm") ? ENOCOMPATPROTO : EPROTONOSUPPORT;
    CHECK_ERR (zmq_bind (s, "pgm://eth0;239.192.1.1:5555"), pgm_err);
    CHECK_ERR (zmq_connect (s, "epgm://eth0;239.192.1.1:5555"), pgm_err);
    const int norm_err = zmq_has ("norm") ? ENOCOMPATPROTO : EPROTONOSUPPORT;
    CHECK_ERR (zmq_connect (s, "norm://eth0;239.192.1.1:5555"), norm_err);
    if (!zmq_has ("vmci"))
        CHECK_ERR (zmq_bind (s, "vmci://1:5555"), EPROTONOSUPPORT);

    /*  Unbinding / disconnecting what was never bound / connected. */
    CHECK_ERR (zmq_unbind (s, "inproc://bad-input-never"), ENOENT);
    CHECK_ERR (zmq_disconnect (s, "inproc://bad-input-never"), ENOENT);
    CHECK_ERR (zmq_unbind (s, "nonsense"), EINVAL);
    CHECK_ERR (zmq_disconnect (s, "nonsense"), EINVAL);
    CHECK_ERR (zmq_unbind (s, "foo://bar"), EPROTONOSUPPORT);

    /*  An inproc name is bound once; unbinding frees it. */
    void *other = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_setsockopt (other, ZMQ_LINGER, &linger, sizeof linger));
    CHECK_RC (zmq_bind (s, "inproc://bad-input-dup"));
    CHECK_ERR (zmq_bind (other, "inproc://bad-input-dup"), EADDRINUSE);
    CHECK_RC (zmq_unbind (s, "inproc://bad-input-dup"));
    CHECK_ERR (zmq_unbind (s, "inproc://bad-input-dup"), ENOENT);
    CHECK_RC (zmq_bind (other, "inproc://bad-input-dup"));

    /*  The monitor endpoint must be inproc. */
    CHECK_ERR (zmq_socket_monitor (s, "tcp://127.0.0.1:5555", ZMQ_EVENT_ALL),
               EPROTONOSUPPORT);
    CHECK_ERR (zmq_socket_monitor (s, "nonsense", ZMQ_EVENT_ALL), EINVAL);

    CHECK_RC (zmq_close (other));
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_option_lengths (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_DEALER));
    int64_t big = 0;
    int small = 0;
    char byte = 0;
    size_t len;

    CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &big, sizeof big), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_LINGER, &byte, 1), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_SNDHWM, &byte, 0), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_AFFINITY, &small, sizeof small), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &small, sizeof small),
               EINVAL);
    len = sizeof big;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_RCVHWM, &big, &len), EINVAL);
    len = 1;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_TYPE, &small, &len), EINVAL);
    len = sizeof small;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_AFFINITY, &small, &len), EINVAL);
    CHECK_ERR (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &small, &len), EINVAL);
    char endpoint[4];
    CHECK_RC (zmq_bind (s, "inproc://bad-input-lengths"));
    len = sizeof endpoint;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_LAST_ENDPOINT, endpoint, &len), EINVAL);

    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  Messages that were never initialised are recognised as such. */
static void test_bad_messages (void)
{
    zmq_msg_t good, zeroed, filled;
    memset (&zeroed, 0, sizeof zeroed);
    memset (&filled, 0xff, sizeof filled);
    CHECK_RC (zmq_msg_init_size (&good, 4));

    CHECK_ERR (zmq_msg_close (&zeroed), EFAULT);
    CHECK_ERR (zmq_msg_close (&filled), EFAULT);
    CHECK_ERR (zmq_msg_copy (&good, &zeroed), EFAULT);
    CHECK_ERR (zmq_msg_copy (&good, &filled), EFAULT);
    CHECK_ERR (zmq_msg_move (&good, &zeroed), EFAULT);
    CHECK_EQ (zmq_msg_size (&good), 4);

    /*  Receiving into no message at all. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_ERR (zmq_msg_recv (NULL, s, ZMQ_DONTWAIT), EFAULT);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));

    /*  No property exists to be set, on any message. */
    CHECK_ERR (zmq_msg_set (&good, ZMQ_MORE, 1), EINVAL);
    CHECK_RC (zmq_msg_close (&good));
}

/*  Operations a socket type does not have, and out-of-order REQ/REP. */
static void test_wrong_direction (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    char buf[4];
    struct
    {
        int type;
        int can_send;
        int can_recv;
    } types[] = {{ZMQ_PUB, 1, 0}, {ZMQ_SUB, 0, 1}, {ZMQ_PUSH, 1, 0},
                 {ZMQ_PULL, 0, 1}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        void *s = CHECK_PTR (zmq_socket (ctx, types[i].type));
        if (!types[i].can_send)
            CHECK_ERR (zmq_send (s, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
        if (!types[i].can_recv)
            CHECK_ERR (zmq_recv (s, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
        CHECK_RC (zmq_close (s));
    }

    void *req = CHECK_PTR (zmq_socket (ctx, ZMQ_REQ));
    CHECK_ERR (zmq_recv (req, buf, sizeof buf, ZMQ_DONTWAIT), EFSM);
    void *rep = CHECK_PTR (zmq_socket (ctx, ZMQ_REP));
    CHECK_ERR (zmq_send (rep, "x", 1, ZMQ_DONTWAIT), EFSM);
    CHECK_RC (zmq_close (req));
    CHECK_RC (zmq_close (rep));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_poll_and_proxy (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));

    CHECK_ERR (zmq_poll (NULL, 1, 0), EFAULT);
    CHECK_EQ (zmq_poll (NULL, 0, 0), 0);
    zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
    CHECK_ERR (zmq_poll (&item, -1, 0), EINVAL);

    CHECK_ERR (zmq_proxy (NULL, NULL, NULL), EFAULT);
    CHECK_ERR (zmq_proxy (s, NULL, NULL), EFAULT);
    CHECK_ERR (zmq_proxy_steerable (NULL, NULL, NULL, NULL), EFAULT);

    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_not_a_socket ();
    test_closed_socket ();
    test_socket_types ();
    test_endpoints ();
    test_option_lengths ();
    test_bad_messages ();
    test_wrong_direction ();
    test_poll_and_proxy ();
    return 0;
}
