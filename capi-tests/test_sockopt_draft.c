/*  Draft-API socket and context options of 4.3.5, and the draft socket types'
    read-only options. This library always builds the draft API. */
// libzmq: skip draft API absent from Debian's libzmq build
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

static void *ctx;

static void *new_socket (int type)
{
    void *s = CHECK_PTR (zmq_socket (ctx, type));
    int linger = 0;
    CHECK_RC (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

static int get_int (void *s, int opt)
{
    int value = 0x5a5a5a5a;
    size_t len = sizeof value;
    CHECK_RC (zmq_getsockopt (s, opt, &value, &len));
    CHECK_EQ (len, sizeof (int));
    return value;
}

static void set_int (void *s, int opt, int value)
{
    CHECK_RC (zmq_setsockopt (s, opt, &value, sizeof value));
}

static void set_int_fails (void *s, int opt, int value)
{
    CHECK_ERR (zmq_setsockopt (s, opt, &value, sizeof value), EINVAL);
}

static void check_string (void *s, int opt, const char *expected)
{
    char buf[300];
    size_t len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, opt, buf, &len));
    CHECK_EQ (len, strlen (expected) + 1);
    CHECK_STR (buf, expected);
}

static void test_has_draft (void)
{
    CHECK_EQ (zmq_has ("draft"), 1);
}

/*  Options kept as booleans: any non-zero value reads back as 1. */
static void test_relaxed_booleans (void)
{
    const int opts[] = {ZMQ_ZAP_ENFORCE_DOMAIN, ZMQ_LOOPBACK_FASTPATH,
                        ZMQ_MULTICAST_LOOP};
    const int defaults[] = {0, 0, 1};
    for (int i = 0; i < 3; i++) {
        void *s = new_socket (ZMQ_DEALER);
        CHECK_EQ (get_int (s, opts[i]), defaults[i]);
        set_int (s, opts[i], 0);
        CHECK_EQ (get_int (s, opts[i]), 0);
        set_int (s, opts[i], 7);
        CHECK_EQ (get_int (s, opts[i]), 1);
        int64_t big = 1;
        CHECK_ERR (zmq_setsockopt (s, opts[i], &big, sizeof big), EINVAL);
        CHECK_RC (zmq_close (s));
    }
}

static void test_int_options (void)
{
    void *s = new_socket (ZMQ_DEALER);

    CHECK_EQ (get_int (s, ZMQ_IN_BATCH_SIZE), 8192);
    CHECK_EQ (get_int (s, ZMQ_OUT_BATCH_SIZE), 8192);
    set_int (s, ZMQ_IN_BATCH_SIZE, 1024);
    CHECK_EQ (get_int (s, ZMQ_IN_BATCH_SIZE), 1024);
    set_int (s, ZMQ_OUT_BATCH_SIZE, 65536);
    CHECK_EQ (get_int (s, ZMQ_OUT_BATCH_SIZE), 65536);
    set_int_fails (s, ZMQ_IN_BATCH_SIZE, 0);
    set_int_fails (s, ZMQ_OUT_BATCH_SIZE, -1);

    CHECK_EQ (get_int (s, ZMQ_RECONNECT_STOP), 0);
    set_int (s, ZMQ_RECONNECT_STOP,
             ZMQ_RECONNECT_STOP_CONN_REFUSED
               | ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED
               | ZMQ_RECONNECT_STOP_AFTER_DISCONNECT);
    CHECK_EQ (get_int (s, ZMQ_RECONNECT_STOP), 7);

    CHECK_EQ (get_int (s, ZMQ_PRIORITY), 0);
    set_int (s, ZMQ_PRIORITY, 3);
    CHECK_EQ (get_int (s, ZMQ_PRIORITY), 3);
    set_int_fails (s, ZMQ_PRIORITY, -1);

    set_int (s, ZMQ_BUSY_POLL, 1);
    set_int (s, ZMQ_BUSY_POLL, 0);

    CHECK_RC (zmq_close (s));
}

static void test_string_options (void)
{
    void *s = new_socket (ZMQ_DEALER);
    char long_value[300];
    memset (long_value, 'u', sizeof long_value);

    /*  SOCKS credentials: up to 255 bytes; empty or NULL clears. */
    const int socks[] = {ZMQ_SOCKS_USERNAME, ZMQ_SOCKS_PASSWORD};
    for (int i = 0; i < 2; i++) {
        check_string (s, socks[i], "");
        CHECK_RC (zmq_setsockopt (s, socks[i], "someone", 7));
        check_string (s, socks[i], "someone");
        CHECK_RC (zmq_setsockopt (s, socks[i], NULL, 0));
        check_string (s, socks[i], "");
        CHECK_RC (zmq_setsockopt (s, socks[i], long_value, 255));
        CHECK_ERR (zmq_setsockopt (s, socks[i], long_value, 256), EINVAL);
        CHECK_RC (zmq_setsockopt (s, socks[i], "x", 0));
        check_string (s, socks[i], "");
    }

    /*  METADATA: "X-name:value", write-only. */
    CHECK_RC (zmq_setsockopt (s, ZMQ_METADATA, "X-color:blue", 12));
    CHECK_RC (zmq_setsockopt (s, ZMQ_METADATA, "X-size:large", 12));
    CHECK_ERR (zmq_setsockopt (s, ZMQ_METADATA, "color:blue", 10), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_METADATA, "X-color", 7), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_METADATA, ":blue", 5), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_METADATA, "X-color:", 8), EINVAL);
    char buf[64];
    size_t len = sizeof buf;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_METADATA, buf, &len), EINVAL);

    /*  Messages the socket sends or receives on connection events. */
    CHECK_RC (zmq_setsockopt (s, ZMQ_HELLO_MSG, "hello", 5));
    CHECK_RC (zmq_setsockopt (s, ZMQ_DISCONNECT_MSG, "bye", 3));
    CHECK_RC (zmq_setsockopt (s, ZMQ_HICCUP_MSG, "hiccup", 6));
    CHECK_RC (zmq_close (s));
}

static void test_typed_options (void)
{
    /*  ROUTER_NOTIFY: ROUTER only, a mask of the two notifications. */
    void *s = new_socket (ZMQ_ROUTER);
    CHECK_EQ (get_int (s, ZMQ_ROUTER_NOTIFY), 0);
    set_int (s, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT);
    CHECK_EQ (get_int (s, ZMQ_ROUTER_NOTIFY), 3);
    set_int (s, ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_CONNECT);
    CHECK_EQ (get_int (s, ZMQ_ROUTER_NOTIFY), ZMQ_NOTIFY_CONNECT);
    set_int_fails (s, ZMQ_ROUTER_NOTIFY, 4);
    set_int_fails (s, ZMQ_ROUTER_NOTIFY, -1);
    CHECK_RC (zmq_close (s));
    s = new_socket (ZMQ_DEALER);
    set_int_fails (s, ZMQ_ROUTER_NOTIFY, 1);
    CHECK_RC (zmq_close (s));

    s = new_socket (ZMQ_XPUB);
    set_int (s, ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
    set_int (s, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    set_int_fails (s, ZMQ_ONLY_FIRST_SUBSCRIBE, -1);
    CHECK_EQ (get_int (s, ZMQ_TOPICS_COUNT), 0);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_TOPICS_COUNT, &(int){1}, sizeof (int)),
               EINVAL);
    CHECK_RC (zmq_close (s));
    s = new_socket (ZMQ_PAIR);
    set_int_fails (s, ZMQ_XPUB_MANUAL_LAST_VALUE, 1);
    set_int_fails (s, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
    CHECK_RC (zmq_close (s));

    s = new_socket (ZMQ_XSUB);
    set_int (s, ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, 1);
    set_int (s, ZMQ_ONLY_FIRST_SUBSCRIBE, 1);
    CHECK_EQ (get_int (s, ZMQ_TOPICS_COUNT), 0);
    CHECK_RC (zmq_close (s));

    /*  TOPICS_COUNT on a SUB counts its subscriptions. */
    s = new_socket (ZMQ_SUB);
    CHECK_EQ (get_int (s, ZMQ_TOPICS_COUNT), 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "a", 1));
    CHECK_RC (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "b", 1));
    CHECK_EQ (get_int (s, ZMQ_TOPICS_COUNT), 2);
    CHECK_RC (zmq_setsockopt (s, ZMQ_UNSUBSCRIBE, "a", 1));
    CHECK_EQ (get_int (s, ZMQ_TOPICS_COUNT), 1);
    CHECK_RC (zmq_close (s));
}

/*  Transport options exist only where the transport was built in. */
static void test_optional_transports (void)
{
    void *s = new_socket (ZMQ_DEALER);
    if (!zmq_has ("wss")) {
        const int wss[] = {ZMQ_WSS_KEY_PEM, ZMQ_WSS_CERT_PEM,
                           ZMQ_WSS_TRUST_PEM, ZMQ_WSS_HOSTNAME};
        for (int i = 0; i < 4; i++)
            CHECK_ERR (zmq_setsockopt (s, wss[i], "x", 1), EINVAL);
        set_int_fails (s, ZMQ_WSS_TRUST_SYSTEM, 1);
    }
    if (!zmq_has ("norm")) {
        const int norm[] = {ZMQ_NORM_MODE,         ZMQ_NORM_UNICAST_NACK,
                            ZMQ_NORM_BUFFER_SIZE,  ZMQ_NORM_SEGMENT_SIZE,
                            ZMQ_NORM_BLOCK_SIZE,   ZMQ_NORM_NUM_PARITY,
                            ZMQ_NORM_NUM_AUTOPARITY, ZMQ_NORM_PUSH};
        for (int i = 0; i < 8; i++)
            set_int_fails (s, norm[i], 1);
    }
    CHECK_RC (zmq_close (s));
}

/*  The draft socket types exist; all but DGRAM are thread-safe. */
static void test_context_options (void)
{
    void *c = CHECK_PTR (zmq_ctx_new ());
    CHECK_EQ (zmq_ctx_get (c, ZMQ_ZERO_COPY_RECV), 1);
    CHECK_RC (zmq_ctx_set (c, ZMQ_ZERO_COPY_RECV, 0));
    CHECK_EQ (zmq_ctx_get (c, ZMQ_ZERO_COPY_RECV), 0);
    CHECK_RC (zmq_ctx_set (c, ZMQ_ZERO_COPY_RECV, 1));

    /*  The _ext forms take values of any size, e.g. a string prefix. */
    CHECK_RC (zmq_ctx_set_ext (c, ZMQ_THREAD_NAME_PREFIX, "zmq", 3));
    char name[16];
    memset (name, 0, sizeof name);
    size_t len = sizeof name;
    CHECK_RC (zmq_ctx_get_ext (c, ZMQ_THREAD_NAME_PREFIX, name, &len));
    CHECK (memcmp (name, "zmq", 3) == 0);

    int io = 2;
    CHECK_RC (zmq_ctx_set_ext (c, ZMQ_IO_THREADS, &io, sizeof io));
    io = 0;
    len = sizeof io;
    CHECK_RC (zmq_ctx_get_ext (c, ZMQ_IO_THREADS, &io, &len));
    CHECK_EQ (io, 2);
    CHECK_EQ (zmq_ctx_get (c, ZMQ_IO_THREADS), 2);
    CHECK_RC (zmq_ctx_term (c));
}

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_has_draft ();
    test_relaxed_booleans ();
    test_int_options ();
    test_string_options ();
    test_typed_options ();
    test_optional_transports ();
    test_context_options ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
