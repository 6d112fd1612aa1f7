/*  Socket options of the stable API: every option of 4.3.5 with its type, its
    default, the values it accepts and refuses, and the option length rules.
    Draft-only options are in test_sockopt_draft.c. */
#include "testutil.h"

#include <fcntl.h>
#include <limits.h>

#define NONE INT_MIN

static void *ctx;

static void *new_socket (int type)
{
    void *s = CHECK_PTR (zmq_socket (ctx, type));
    int linger = 0;
    CHECK_RC (zmq_setsockopt (s, ZMQ_LINGER, &linger, sizeof linger));
    return s;
}

static int get_int (void *s, int opt, const char *name)
{
    int value = 0x5a5a5a5a;
    size_t len = sizeof value;
    if (zmq_getsockopt (s, opt, &value, &len) == -1)
        TEST_FAIL_ ("getsockopt %s: %s", name, zmq_strerror (errno));
    if (len != sizeof (int))
        TEST_FAIL_ ("getsockopt %s: length %zu, expected %zu", name, len,
                    sizeof (int));
    return value;
}

static void set_int (void *s, int opt, int value, const char *name)
{
    if (zmq_setsockopt (s, opt, &value, sizeof value) == -1)
        TEST_FAIL_ ("setsockopt %s = %d: %s", name, value, zmq_strerror (errno));
}

static void set_int_fails (void *s, int opt, int value, const char *name)
{
    errno = 0;
    if (zmq_setsockopt (s, opt, &value, sizeof value) != -1)
        TEST_FAIL_ ("setsockopt %s = %d succeeded, expected EINVAL", name,
                    value);
    if (errno != EINVAL)
        TEST_FAIL_ ("setsockopt %s = %d: errno %d (%s), expected EINVAL", name,
                    value, errno, zmq_strerror (errno));
}

/*  Lengths other than sizeof (int) are refused both ways. */
static void check_int_lengths (void *s, int opt, const char *name)
{
    int64_t big = 1;
    char buf[8] = {0};
    size_t len;
    errno = 0;
    if (zmq_setsockopt (s, opt, &big, sizeof big) != -1 || errno != EINVAL)
        TEST_FAIL_ ("setsockopt %s with 8 bytes: expected EINVAL", name);
    errno = 0;
    if (zmq_setsockopt (s, opt, buf, 2) != -1 || errno != EINVAL)
        TEST_FAIL_ ("setsockopt %s with 2 bytes: expected EINVAL", name);
    errno = 0;
    if (zmq_setsockopt (s, opt, buf, 0) != -1 || errno != EINVAL)
        TEST_FAIL_ ("setsockopt %s with 0 bytes: expected EINVAL", name);
    len = 3;
    errno = 0;
    if (zmq_getsockopt (s, opt, buf, &len) != -1 || errno != EINVAL)
        TEST_FAIL_ ("getsockopt %s into 3 bytes: expected EINVAL", name);
    len = 8;
    errno = 0;
    if (zmq_getsockopt (s, opt, buf, &len) != -1 || errno != EINVAL)
        TEST_FAIL_ ("getsockopt %s into 8 bytes: expected EINVAL", name);
}

struct int_option
{
    int opt;
    const char *name;
    int dflt;
    int good[3]; /* accepted and read back as given; NONE ends the list */
    int bad[2];  /* refused with EINVAL; NONE ends the list */
};

#define OPT(o) o, #o

/*  Integer options every socket type has. */
static const struct int_option int_options[] = {
  {OPT (ZMQ_RATE), 100, {1, 5000, NONE}, {0, -1}},
  {OPT (ZMQ_RECOVERY_IVL), 10000, {0, 500, NONE}, {-1, NONE}},
  {OPT (ZMQ_SNDBUF), -1, {0, 65536, -1}, {-2, NONE}},
  {OPT (ZMQ_RCVBUF), -1, {0, 65536, -1}, {-2, NONE}},
  {OPT (ZMQ_LINGER), -1, {0, 1000, -1}, {-2, NONE}},
  {OPT (ZMQ_RECONNECT_IVL), 100, {-1, 0, 500}, {-2, NONE}},
  {OPT (ZMQ_BACKLOG), 100, {0, 1000, NONE}, {-1, NONE}},
  {OPT (ZMQ_RECONNECT_IVL_MAX), 0, {0, 5000, NONE}, {-1, NONE}},
  {OPT (ZMQ_SNDHWM), 1000, {0, 5, 100000}, {-1, NONE}},
  {OPT (ZMQ_RCVHWM), 1000, {0, 5, 100000}, {-1, NONE}},
  {OPT (ZMQ_MULTICAST_HOPS), 1, {1, 255, NONE}, {0, -1}},
  {OPT (ZMQ_RCVTIMEO), -1, {0, 250, -1}, {-2, NONE}},
  {OPT (ZMQ_SNDTIMEO), -1, {0, 250, -1}, {-2, NONE}},
  {OPT (ZMQ_IPV4ONLY), 1, {0, 1, NONE}, {2, -1}},
  {OPT (ZMQ_TCP_KEEPALIVE), -1, {0, 1, -1}, {2, -2}},
  {OPT (ZMQ_TCP_KEEPALIVE_CNT), -1, {0, 5, -1}, {-2, NONE}},
  {OPT (ZMQ_TCP_KEEPALIVE_IDLE), -1, {0, 60, -1}, {-2, NONE}},
  {OPT (ZMQ_TCP_KEEPALIVE_INTVL), -1, {0, 10, -1}, {-2, NONE}},
  {OPT (ZMQ_IMMEDIATE), 0, {1, 0, NONE}, {2, -1}},
  {OPT (ZMQ_IPV6), 0, {1, 0, NONE}, {2, -1}},
  {OPT (ZMQ_PLAIN_SERVER), 0, {1, 0, NONE}, {2, -1}},
  {OPT (ZMQ_CONFLATE), 0, {1, 0, NONE}, {2, -1}},
  {OPT (ZMQ_TOS), 0, {0, 0x28, 255}, {-1, NONE}},
  {OPT (ZMQ_HANDSHAKE_IVL), 30000, {0, 1000, NONE}, {-1, NONE}},
  {OPT (ZMQ_INVERT_MATCHING), 0, {1, 0, NONE}, {NONE, NONE}},
  {OPT (ZMQ_HEARTBEAT_IVL), 0, {0, 1000, NONE}, {-1, NONE}},
  /*  TTL is kept in tenths of a second, up to 65535 of them. */
  {OPT (ZMQ_HEARTBEAT_TTL), 0, {0, 2000, 6553500}, {6553600, -100}},
  /*  The default -1 means "use HEARTBEAT_IVL"; it cannot be set back. */
  {OPT (ZMQ_HEARTBEAT_TIMEOUT), -1, {0, 1000, NONE}, {-1, NONE}},
  {OPT (ZMQ_CONNECT_TIMEOUT), 0, {0, 500, NONE}, {-1, NONE}},
  {OPT (ZMQ_TCP_MAXRT), 0, {0, 500, NONE}, {-1, NONE}},
  {OPT (ZMQ_MULTICAST_MAXTPDU), 1500, {1, 9000, NONE}, {0, -1}},
  {OPT (ZMQ_USE_FD), -1, {0, 7, -1}, {-2, NONE}},
};

static void check_int_option (const struct int_option *o, int socket_type)
{
    void *s = new_socket (socket_type);
    if (o->opt != ZMQ_LINGER) {
        int got = get_int (s, o->opt, o->name);
        if (got != o->dflt)
            TEST_FAIL_ ("%s default is %d, expected %d", o->name, got, o->dflt);
    }
    for (int i = 0; i < 3 && o->good[i] != NONE; i++) {
        set_int (s, o->opt, o->good[i], o->name);
        int got = get_int (s, o->opt, o->name);
        if (got != o->good[i])
            TEST_FAIL_ ("%s set to %d reads back %d", o->name, o->good[i], got);
    }
    int before = get_int (s, o->opt, o->name);
    for (int i = 0; i < 2 && o->bad[i] != NONE; i++) {
        set_int_fails (s, o->opt, o->bad[i], o->name);
        if (get_int (s, o->opt, o->name) != before)
            TEST_FAIL_ ("%s changed by a refused value", o->name);
    }
    check_int_lengths (s, o->opt, o->name);
    CHECK_RC (zmq_close (s));
}

static void test_int_options (void)
{
    const int types[] = {ZMQ_PAIR, ZMQ_DEALER, ZMQ_SUB};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t i = 0; i < sizeof int_options / sizeof int_options[0]; i++)
            check_int_option (&int_options[i], types[t]);

    /*  LINGER's default, on a socket not touched by new_socket. */
    void *s = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_EQ (get_int (s, ZMQ_LINGER, "ZMQ_LINGER"), -1);
    CHECK_RC (zmq_close (s));

    s = new_socket (ZMQ_DEALER);
    /*  Boolean-like options keep only whether the value was non-zero. */
    set_int (s, ZMQ_INVERT_MATCHING, 5, "ZMQ_INVERT_MATCHING");
    CHECK_EQ (get_int (s, ZMQ_INVERT_MATCHING, "ZMQ_INVERT_MATCHING"), 1);
    /*  HEARTBEAT_TTL rounds down to a tenth of a second. */
    set_int (s, ZMQ_HEARTBEAT_TTL, 255, "ZMQ_HEARTBEAT_TTL");
    CHECK_EQ (get_int (s, ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL"), 200);
    set_int (s, ZMQ_HEARTBEAT_TTL, 6553599, "ZMQ_HEARTBEAT_TTL");
    CHECK_EQ (get_int (s, ZMQ_HEARTBEAT_TTL, "ZMQ_HEARTBEAT_TTL"), 6553500);
    /*  IPV4ONLY is the negation of IPV6. */
    set_int (s, ZMQ_IPV6, 1, "ZMQ_IPV6");
    CHECK_EQ (get_int (s, ZMQ_IPV4ONLY, "ZMQ_IPV4ONLY"), 0);
    set_int (s, ZMQ_IPV4ONLY, 1, "ZMQ_IPV4ONLY");
    CHECK_EQ (get_int (s, ZMQ_IPV6, "ZMQ_IPV6"), 0);
    set_int (s, ZMQ_IPV4ONLY, 0, "ZMQ_IPV4ONLY");
    CHECK_EQ (get_int (s, ZMQ_IPV6, "ZMQ_IPV6"), 1);
    CHECK_RC (zmq_close (s));

    /*  A socket's IPV6 starts from the context's. */
    void *ctx6 = CHECK_PTR (zmq_ctx_new ());
    CHECK_RC (zmq_ctx_set (ctx6, ZMQ_IPV6, 1));
    s = CHECK_PTR (zmq_socket (ctx6, ZMQ_PAIR));
    CHECK_EQ (get_int (s, ZMQ_IPV6, "ZMQ_IPV6"), 1);
    CHECK_EQ (get_int (s, ZMQ_IPV4ONLY, "ZMQ_IPV4ONLY"), 0);
    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_ctx_term (ctx6));
}

static void test_64bit_options (void)
{
    void *s = new_socket (ZMQ_DEALER);
    size_t len;

    /*  AFFINITY: uint64_t, default 0, any value. */
    uint64_t affinity = 77;
    len = sizeof affinity;
    CHECK_RC (zmq_getsockopt (s, ZMQ_AFFINITY, &affinity, &len));
    CHECK_EQ (len, 8);
    CHECK (affinity == 0);
    affinity = 3;
    CHECK_RC (zmq_setsockopt (s, ZMQ_AFFINITY, &affinity, sizeof affinity));
    affinity = UINT64_MAX;
    CHECK_RC (zmq_setsockopt (s, ZMQ_AFFINITY, &affinity, sizeof affinity));
    affinity = 0;
    CHECK_RC (zmq_getsockopt (s, ZMQ_AFFINITY, &affinity, &len));
    CHECK (affinity == UINT64_MAX);
    int small = 1;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_AFFINITY, &small, sizeof small), EINVAL);
    len = sizeof small;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_AFFINITY, &small, &len), EINVAL);

    /*  MAXMSGSIZE: int64_t, default -1 (no limit). */
    int64_t maxmsg = 77;
    len = sizeof maxmsg;
    CHECK_RC (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, &len));
    CHECK_EQ (len, 8);
    CHECK_EQ (maxmsg, -1);
    maxmsg = (int64_t) 1 << 40;
    CHECK_RC (zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg));
    maxmsg = 0;
    CHECK_RC (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, &len));
    CHECK_EQ (maxmsg, (int64_t) 1 << 40);
    maxmsg = 0;
    CHECK_RC (zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg));
    maxmsg = -1;
    CHECK_RC (zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg));
    CHECK_RC (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &maxmsg, &len));
    CHECK_EQ (maxmsg, -1);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_MAXMSGSIZE, &small, sizeof small),
               EINVAL);
    len = sizeof small;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_MAXMSGSIZE, &small, &len), EINVAL);

    CHECK_RC (zmq_close (s));
}

/*  Reads a string option; checks the returned length counts the NUL. */
static void check_string (void *s, int opt, const char *name,
                          const char *expected)
{
    char buf[512];
    memset (buf, 'x', sizeof buf);
    size_t len = sizeof buf;
    if (zmq_getsockopt (s, opt, buf, &len) == -1)
        TEST_FAIL_ ("getsockopt %s: %s", name, zmq_strerror (errno));
    if (len != strlen (expected) + 1 || strcmp (buf, expected) != 0)
        TEST_FAIL_ ("getsockopt %s: \"%.*s\" (length %zu), expected \"%s\"",
                    name, (int) (len ? len - 1 : 0), buf, len, expected);
    /*  A buffer without room for the terminating NUL is refused. */
    if (len > 1) {
        size_t short_len = len - 1;
        errno = 0;
        if (zmq_getsockopt (s, opt, buf, &short_len) != -1 || errno != EINVAL)
            TEST_FAIL_ ("getsockopt %s into %zu bytes: expected EINVAL", name,
                        len - 1);
    }
}

static void test_string_options (void)
{
    void *s = new_socket (ZMQ_DEALER);
    char long_value[300];
    memset (long_value, 'a', sizeof long_value);

    /*  ZAP_DOMAIN: 1 to 255 bytes. */
    check_string (s, ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", "");
    CHECK_RC (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "global", 6));
    check_string (s, ZMQ_ZAP_DOMAIN, "ZMQ_ZAP_DOMAIN", "global");
    CHECK_RC (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, long_value, 255));
    CHECK_ERR (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, long_value, 256), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_ZAP_DOMAIN, "x", 0), EINVAL);

    /*  PLAIN credentials: 1 to 255 bytes; setting one selects PLAIN, and NULL
        with length 0 goes back to NULL security. */
    check_string (s, ZMQ_PLAIN_USERNAME, "ZMQ_PLAIN_USERNAME", "");
    check_string (s, ZMQ_PLAIN_PASSWORD, "ZMQ_PLAIN_PASSWORD", "");
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_NULL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "admin", 5));
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_PLAIN);
    CHECK_EQ (get_int (s, ZMQ_PLAIN_SERVER, "ZMQ_PLAIN_SERVER"), 0);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, "secret", 6));
    check_string (s, ZMQ_PLAIN_USERNAME, "ZMQ_PLAIN_USERNAME", "admin");
    check_string (s, ZMQ_PLAIN_PASSWORD, "ZMQ_PLAIN_PASSWORD", "secret");
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, long_value, 255));
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, long_value, 256),
               EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, long_value, 256),
               EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, "x", 0), EINVAL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_USERNAME, NULL, 0));
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_NULL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_PLAIN_PASSWORD, NULL, 0));
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_NULL);
    /*  PLAIN_SERVER also selects PLAIN. */
    set_int (s, ZMQ_PLAIN_SERVER, 1, "ZMQ_PLAIN_SERVER");
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_PLAIN);
    CHECK_EQ (get_int (s, ZMQ_PLAIN_SERVER, "ZMQ_PLAIN_SERVER"), 1);

    /*  SOCKS_PROXY: any string; NULL with length 0 clears it. */
    check_string (s, ZMQ_SOCKS_PROXY, "ZMQ_SOCKS_PROXY", "");
    CHECK_RC (zmq_setsockopt (s, ZMQ_SOCKS_PROXY, "127.0.0.1:1080", 14));
    check_string (s, ZMQ_SOCKS_PROXY, "ZMQ_SOCKS_PROXY", "127.0.0.1:1080");
    CHECK_RC (zmq_setsockopt (s, ZMQ_SOCKS_PROXY, NULL, 0));
    check_string (s, ZMQ_SOCKS_PROXY, "ZMQ_SOCKS_PROXY", "");

    /*  BINDTODEVICE: an interface name, shorter than 16 bytes. */
    check_string (s, ZMQ_BINDTODEVICE, "ZMQ_BINDTODEVICE", "");
    CHECK_RC (zmq_setsockopt (s, ZMQ_BINDTODEVICE, "lo", 2));
    check_string (s, ZMQ_BINDTODEVICE, "ZMQ_BINDTODEVICE", "lo");
    CHECK_RC (zmq_setsockopt (s, ZMQ_BINDTODEVICE, long_value, 15));
    CHECK_ERR (zmq_setsockopt (s, ZMQ_BINDTODEVICE, long_value, 17), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_BINDTODEVICE, "x", 0), EINVAL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_BINDTODEVICE, NULL, 0));
    check_string (s, ZMQ_BINDTODEVICE, "ZMQ_BINDTODEVICE", "");

    /*  TCP_ACCEPT_FILTER (deprecated): write-only, addresses or CIDR masks;
        NULL with length 0 clears the list. */
    CHECK_RC (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "127.0.0.1", 9));
    CHECK_RC (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "10.0.0.0/8", 10));
    CHECK_ERR (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, "foo", 3), EINVAL);
    CHECK_RC (zmq_setsockopt (s, ZMQ_TCP_ACCEPT_FILTER, NULL, 0));
    char buf[64];
    size_t len = sizeof buf;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_TCP_ACCEPT_FILTER, buf, &len), EINVAL);

    CHECK_RC (zmq_close (s));
}

static void test_routing_id (void)
{
    void *s = new_socket (ZMQ_DEALER);
    unsigned char buf[300];
    size_t len = sizeof buf;

    /*  Empty by default. */
    CHECK_RC (zmq_getsockopt (s, ZMQ_ROUTING_ID, buf, &len));
    CHECK_EQ (len, 0);

    CHECK_RC (zmq_setsockopt (s, ZMQ_ROUTING_ID, "abc", 3));
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_ROUTING_ID, buf, &len));
    CHECK_EQ (len, 3);
    CHECK (memcmp (buf, "abc", 3) == 0);
    len = 2;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_ROUTING_ID, buf, &len), EINVAL);

    /*  ZMQ_IDENTITY is the old name. */
    CHECK_EQ (ZMQ_IDENTITY, ZMQ_ROUTING_ID);
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_IDENTITY, buf, &len));
    CHECK_EQ (len, 3);

    /*  Binary, 1 to 255 bytes. */
    memset (buf, 0xee, sizeof buf);
    CHECK_RC (zmq_setsockopt (s, ZMQ_ROUTING_ID, buf, 255));
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_ROUTING_ID, buf, &len));
    CHECK_EQ (len, 255);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_ROUTING_ID, buf, 256), EINVAL);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_ROUTING_ID, buf, 0), EINVAL);
    const unsigned char binary[4] = {1, 0, 2, 0};
    CHECK_RC (zmq_setsockopt (s, ZMQ_ROUTING_ID, binary, 4));
    len = sizeof buf;
    CHECK_RC (zmq_getsockopt (s, ZMQ_ROUTING_ID, buf, &len));
    CHECK_EQ (len, 4);
    CHECK (memcmp (buf, binary, 4) == 0);
    CHECK_RC (zmq_close (s));
}

/*  Options that only some socket types have: accepted there (write-only),
    refused with EINVAL elsewhere. */
struct typed_option
{
    int opt;
    const char *name;
    int has_type;
    int lacks_type;
};

static const struct typed_option typed_options[] = {
  {OPT (ZMQ_ROUTER_MANDATORY), ZMQ_ROUTER, ZMQ_DEALER},
  {OPT (ZMQ_ROUTER_RAW), ZMQ_ROUTER, ZMQ_PAIR},
  {OPT (ZMQ_ROUTER_HANDOVER), ZMQ_ROUTER, ZMQ_DEALER},
  {OPT (ZMQ_XPUB_VERBOSE), ZMQ_XPUB, ZMQ_SUB},
  {OPT (ZMQ_XPUB_VERBOSER), ZMQ_XPUB, ZMQ_PAIR},
  {OPT (ZMQ_XPUB_NODROP), ZMQ_XPUB, ZMQ_PUSH},
  {OPT (ZMQ_XPUB_MANUAL), ZMQ_XPUB, ZMQ_XSUB},
  {OPT (ZMQ_STREAM_NOTIFY), ZMQ_STREAM, ZMQ_ROUTER},
  {OPT (ZMQ_PROBE_ROUTER), ZMQ_ROUTER, ZMQ_PUB},
  {OPT (ZMQ_PROBE_ROUTER), ZMQ_DEALER, ZMQ_PULL},
  {OPT (ZMQ_PROBE_ROUTER), ZMQ_REQ, ZMQ_PAIR},
  {OPT (ZMQ_REQ_CORRELATE), ZMQ_REQ, ZMQ_DEALER},
  {OPT (ZMQ_REQ_RELAXED), ZMQ_REQ, ZMQ_ROUTER},
};

static void test_typed_options (void)
{
    for (size_t i = 0; i < sizeof typed_options / sizeof typed_options[0];
         i++) {
        const struct typed_option *o = &typed_options[i];
        void *s = new_socket (o->has_type);
        set_int (s, o->opt, 1, o->name);
        set_int (s, o->opt, 0, o->name);
        set_int_fails (s, o->opt, -1, o->name);
        int64_t big = 1;
        CHECK_ERR (zmq_setsockopt (s, o->opt, &big, sizeof big), EINVAL);
        int v;
        size_t len = sizeof v;
        errno = 0;
        if (zmq_getsockopt (s, o->opt, &v, &len) != -1 || errno != EINVAL)
            TEST_FAIL_ ("getsockopt %s: expected EINVAL (write-only)", o->name);
        CHECK_RC (zmq_close (s));

        s = new_socket (o->lacks_type);
        set_int_fails (s, o->opt, 1, o->name);
        CHECK_RC (zmq_close (s));
    }

    /*  STREAM_NOTIFY is strictly boolean. */
    void *s = new_socket (ZMQ_STREAM);
    set_int_fails (s, ZMQ_STREAM_NOTIFY, 2, "ZMQ_STREAM_NOTIFY");
    CHECK_RC (zmq_close (s));

    /*  SUBSCRIBE / UNSUBSCRIBE: binary prefixes of any length, SUB only. */
    s = new_socket (ZMQ_SUB);
    CHECK_RC (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "", 0));
    CHECK_RC (zmq_setsockopt (s, ZMQ_SUBSCRIBE, NULL, 0));
    CHECK_RC (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "topic", 5));
    CHECK_RC (zmq_setsockopt (s, ZMQ_UNSUBSCRIBE, "topic", 5));
    CHECK_RC (zmq_setsockopt (s, ZMQ_UNSUBSCRIBE, "never subscribed", 16));
    CHECK_RC (zmq_setsockopt (s, ZMQ_UNSUBSCRIBE, "", 0));
    char buf[16];
    size_t len = sizeof buf;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_SUBSCRIBE, buf, &len), EINVAL);
    CHECK_RC (zmq_close (s));
    const int not_sub[] = {ZMQ_PAIR, ZMQ_PUB, ZMQ_XSUB, ZMQ_DEALER};
    for (size_t i = 0; i < sizeof not_sub / sizeof not_sub[0]; i++) {
        s = new_socket (not_sub[i]);
        CHECK_ERR (zmq_setsockopt (s, ZMQ_SUBSCRIBE, "", 0), EINVAL);
        CHECK_ERR (zmq_setsockopt (s, ZMQ_UNSUBSCRIBE, "", 0), EINVAL);
        CHECK_RC (zmq_close (s));
    }

    /*  XPUB_WELCOME_MSG: binary, may be empty. */
    s = new_socket (ZMQ_XPUB);
    CHECK_RC (zmq_setsockopt (s, ZMQ_XPUB_WELCOME_MSG, "welcome", 7));
    CHECK_RC (zmq_setsockopt (s, ZMQ_XPUB_WELCOME_MSG, NULL, 0));
    len = sizeof buf;
    CHECK_ERR (zmq_getsockopt (s, ZMQ_XPUB_WELCOME_MSG, buf, &len), EINVAL);
    CHECK_RC (zmq_close (s));
    s = new_socket (ZMQ_SUB);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_XPUB_WELCOME_MSG, "welcome", 7), EINVAL);
    CHECK_RC (zmq_close (s));

    /*  CONNECT_ROUTING_ID: ROUTER and STREAM, write-only, not empty. */
    const int crid_types[] = {ZMQ_ROUTER, ZMQ_STREAM};
    for (size_t i = 0; i < 2; i++) {
        s = new_socket (crid_types[i]);
        CHECK_RC (zmq_setsockopt (s, ZMQ_CONNECT_ROUTING_ID, "peer", 4));
        CHECK_ERR (zmq_setsockopt (s, ZMQ_CONNECT_ROUTING_ID, "x", 0), EINVAL);
        len = sizeof buf;
        CHECK_ERR (zmq_getsockopt (s, ZMQ_CONNECT_ROUTING_ID, buf, &len),
                   EINVAL);
        CHECK_RC (zmq_close (s));
    }
    s = new_socket (ZMQ_DEALER);
    CHECK_ERR (zmq_setsockopt (s, ZMQ_CONNECT_ROUTING_ID, "peer", 4), EINVAL);
    CHECK_RC (zmq_close (s));
}

/*  Read-only options: readable on every socket, never writable. */
static void test_read_only (void)
{
    const int types[] = {ZMQ_PAIR,   ZMQ_PUB,  ZMQ_SUB,  ZMQ_REQ,
                         ZMQ_REP,    ZMQ_DEALER, ZMQ_ROUTER, ZMQ_PULL,
                         ZMQ_PUSH,   ZMQ_XPUB, ZMQ_XSUB, ZMQ_STREAM};
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        void *s = new_socket (types[t]);
        CHECK_EQ (get_int (s, ZMQ_TYPE, "ZMQ_TYPE"), types[t]);
        CHECK_EQ (get_int (s, ZMQ_RCVMORE, "ZMQ_RCVMORE"), 0);
        CHECK_EQ (get_int (s, ZMQ_THREAD_SAFE, "ZMQ_THREAD_SAFE"), 0);
        CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_NULL);
        int events = get_int (s, ZMQ_EVENTS, "ZMQ_EVENTS");
        CHECK ((events & ~(ZMQ_POLLIN | ZMQ_POLLOUT)) == 0);
        CHECK_EQ (events & ZMQ_POLLIN, 0);
        int fd = get_int (s, ZMQ_FD, "ZMQ_FD");
        CHECK (fd >= 0);
        CHECK (fcntl (fd, F_GETFD) != -1);
        check_string (s, ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT", "");

        const int read_only[] = {ZMQ_TYPE,   ZMQ_RCVMORE,   ZMQ_EVENTS,
                                 ZMQ_FD,     ZMQ_THREAD_SAFE, ZMQ_MECHANISM};
        for (size_t i = 0; i < sizeof read_only / sizeof read_only[0]; i++) {
            int v = 0;
            CHECK_ERR (zmq_setsockopt (s, read_only[i], &v, sizeof v), EINVAL);
            size_t len = 3;
            CHECK_ERR (zmq_getsockopt (s, read_only[i], &v, &len), EINVAL);
        }
        CHECK_ERR (zmq_setsockopt (s, ZMQ_LAST_ENDPOINT, "inproc://x", 10),
                   EINVAL);
        CHECK_RC (zmq_close (s));
    }

    /*  LAST_ENDPOINT after a bind; EVENTS and RCVMORE once peers talk. */
    void *a = new_socket (ZMQ_PAIR);
    void *b = new_socket (ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://sockopt-last-endpoint"));
    check_string (a, ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT",
                  "inproc://sockopt-last-endpoint");
    CHECK_RC (zmq_connect (b, "inproc://sockopt-last-endpoint"));
    check_string (b, ZMQ_LAST_ENDPOINT, "ZMQ_LAST_ENDPOINT",
                  "inproc://sockopt-last-endpoint");
    CHECK_EQ (get_int (b, ZMQ_EVENTS, "ZMQ_EVENTS"), ZMQ_POLLOUT);
    CHECK_EQ (zmq_send (b, "x", 1, ZMQ_SNDMORE), 1);
    CHECK_EQ (zmq_send (b, "y", 1, 0), 1);
    CHECK_EQ (get_int (a, ZMQ_EVENTS, "ZMQ_EVENTS"), ZMQ_POLLIN | ZMQ_POLLOUT);
    char c;
    CHECK_EQ (zmq_recv (a, &c, 1, 0), 1);
    CHECK_EQ (get_int (a, ZMQ_RCVMORE, "ZMQ_RCVMORE"), 1);
    CHECK_EQ (zmq_recv (a, &c, 1, 0), 1);
    CHECK_EQ (get_int (a, ZMQ_RCVMORE, "ZMQ_RCVMORE"), 0);
    CHECK_EQ (get_int (a, ZMQ_EVENTS, "ZMQ_EVENTS"), ZMQ_POLLOUT);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
}

static void test_curve_options (void)
{
    static const char *const public_z85 =
      "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    static const char *const zeros_z85 =
      "0000000000000000000000000000000000000000";
    const int keys[] = {ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SECRETKEY,
                        ZMQ_CURVE_SERVERKEY};
    void *s = new_socket (ZMQ_DEALER);

    if (!zmq_has ("curve")) {
        /*  Without CURVE the options do not exist. */
        int v = 1;
        CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_SERVER, &v, sizeof v), EINVAL);
        CHECK_ERR (zmq_setsockopt (s, ZMQ_CURVE_PUBLICKEY, public_z85, 40),
                   EINVAL);
        CHECK_RC (zmq_close (s));
        return;
    }

    CHECK_EQ (get_int (s, ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER"), 0);
    set_int_fails (s, ZMQ_CURVE_SERVER, 2, "ZMQ_CURVE_SERVER");
    set_int_fails (s, ZMQ_CURVE_SERVER, -1, "ZMQ_CURVE_SERVER");
    check_int_lengths (s, ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER");

    for (int k = 0; k < 3; k++) {
        unsigned char key[41];
        size_t len = 32;
        /*  Unset keys read as 32 zero bytes, or 40 '0' characters in Z85. */
        CHECK_RC (zmq_getsockopt (s, keys[k], key, &len));
        CHECK_EQ (len, 32);
        for (int i = 0; i < 32; i++)
            CHECK_EQ (key[i], 0);
        len = 41;
        CHECK_RC (zmq_getsockopt (s, keys[k], key, &len));
        CHECK_EQ (len, 41);
        CHECK_STR ((char *) key, zeros_z85);
        /*  Other buffer sizes are refused. */
        len = 40;
        CHECK_ERR (zmq_getsockopt (s, keys[k], key, &len), EINVAL);
        len = 33;
        CHECK_ERR (zmq_getsockopt (s, keys[k], key, &len), EINVAL);

        /*  Set as Z85 text (40 characters, with or without the NUL). */
        CHECK_RC (zmq_setsockopt (s, keys[k], public_z85, 40));
        len = 41;
        CHECK_RC (zmq_getsockopt (s, keys[k], key, &len));
        CHECK_STR ((char *) key, public_z85);
        CHECK_RC (zmq_setsockopt (s, keys[k], public_z85, 41));
        /*  Set as 32 raw bytes: reading it back in Z85 gives the same text. */
        uint8_t raw[32];
        CHECK (zmq_z85_decode (raw, public_z85) == raw);
        CHECK_RC (zmq_setsockopt (s, keys[k], zeros_z85, 40));
        CHECK_RC (zmq_setsockopt (s, keys[k], raw, 32));
        len = 41;
        CHECK_RC (zmq_getsockopt (s, keys[k], key, &len));
        CHECK_STR ((char *) key, public_z85);
        len = 32;
        CHECK_RC (zmq_getsockopt (s, keys[k], key, &len));
        CHECK (memcmp (key, raw, 32) == 0);

        /*  Wrong lengths and bad Z85. */
        CHECK_ERR (zmq_setsockopt (s, keys[k], public_z85, 39), EINVAL);
        CHECK_ERR (zmq_setsockopt (s, keys[k], raw, 31), EINVAL);
        CHECK_ERR (zmq_setsockopt (s, keys[k], raw, 33), EINVAL);
        CHECK_ERR (zmq_setsockopt (s, keys[k],
                                   "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hI ",
                                   40),
                   EINVAL);
    }
    CHECK_RC (zmq_close (s));

    /*  Setting a key or CURVE_SERVER selects the CURVE mechanism. */
    s = new_socket (ZMQ_DEALER);
    CHECK_RC (zmq_setsockopt (s, ZMQ_CURVE_SERVERKEY, public_z85, 40));
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_CURVE);
    CHECK_RC (zmq_close (s));
    s = new_socket (ZMQ_DEALER);
    set_int (s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER");
    CHECK_EQ (get_int (s, ZMQ_CURVE_SERVER, "ZMQ_CURVE_SERVER"), 1);
    CHECK_EQ (get_int (s, ZMQ_MECHANISM, "ZMQ_MECHANISM"), ZMQ_CURVE);
    CHECK_RC (zmq_close (s));
}

/*  GSSAPI and VMCI options exist only where the library was built with them;
    zmq_has tells which. */
static void test_optional_options (void)
{
    void *s = new_socket (ZMQ_DEALER);
    const int gssapi_ints[] = {ZMQ_GSSAPI_SERVER, ZMQ_GSSAPI_PLAINTEXT,
                               ZMQ_GSSAPI_PRINCIPAL_NAMETYPE,
                               ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE};
    const char *gssapi_names[] = {"ZMQ_GSSAPI_SERVER", "ZMQ_GSSAPI_PLAINTEXT",
                                  "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE",
                                  "ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE"};
    if (zmq_has ("gssapi")) {
        for (int i = 0; i < 4; i++) {
            CHECK_EQ (get_int (s, gssapi_ints[i], gssapi_names[i]), 0);
            set_int (s, gssapi_ints[i], 1, gssapi_names[i]);
            CHECK_EQ (get_int (s, gssapi_ints[i], gssapi_names[i]), 1);
            set_int_fails (s, gssapi_ints[i], -1, gssapi_names[i]);
        }
        set_int (s, ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, ZMQ_GSSAPI_NT_KRB5_PRINCIPAL,
                 "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE");
        set_int_fails (s, ZMQ_GSSAPI_PRINCIPAL_NAMETYPE, 3,
                       "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE");
        check_string (s, ZMQ_GSSAPI_PRINCIPAL, "ZMQ_GSSAPI_PRINCIPAL", "");
        CHECK_RC (zmq_setsockopt (s, ZMQ_GSSAPI_PRINCIPAL, "me", 2));
        check_string (s, ZMQ_GSSAPI_PRINCIPAL, "ZMQ_GSSAPI_PRINCIPAL", "me");
        check_string (s, ZMQ_GSSAPI_SERVICE_PRINCIPAL,
                      "ZMQ_GSSAPI_SERVICE_PRINCIPAL", "");
    } else {
        for (int i = 0; i < 4; i++) {
            set_int_fails (s, gssapi_ints[i], 1, gssapi_names[i]);
            int v;
            size_t len = sizeof v;
            CHECK_ERR (zmq_getsockopt (s, gssapi_ints[i], &v, &len), EINVAL);
        }
        CHECK_ERR (zmq_setsockopt (s, ZMQ_GSSAPI_PRINCIPAL, "me", 2), EINVAL);
    }

    if (!zmq_has ("vmci")) {
        const int vmci[] = {ZMQ_VMCI_BUFFER_SIZE, ZMQ_VMCI_BUFFER_MIN_SIZE,
                            ZMQ_VMCI_BUFFER_MAX_SIZE};
        for (int i = 0; i < 3; i++) {
            uint64_t v = 1024;
            size_t len = sizeof v;
            CHECK_ERR (zmq_setsockopt (s, vmci[i], &v, sizeof v), EINVAL);
            CHECK_ERR (zmq_getsockopt (s, vmci[i], &v, &len), EINVAL);
        }
        int t = 100;
        size_t len = sizeof t;
        CHECK_ERR (zmq_setsockopt (s, ZMQ_VMCI_CONNECT_TIMEOUT, &t, sizeof t),
                   EINVAL);
        CHECK_ERR (zmq_getsockopt (s, ZMQ_VMCI_CONNECT_TIMEOUT, &t, &len),
                   EINVAL);
    }
    CHECK_RC (zmq_close (s));
}

/*  The deprecated IPC peer filters: write-only integers, NULL clears. */
static void test_ipc_filters (void)
{
    void *s = new_socket (ZMQ_DEALER);
    const int filters[] = {ZMQ_IPC_FILTER_PID, ZMQ_IPC_FILTER_UID,
                           ZMQ_IPC_FILTER_GID};
    for (int i = 0; i < 3; i++) {
        int id = 1000;
        CHECK_RC (zmq_setsockopt (s, filters[i], &id, sizeof id));
        CHECK_RC (zmq_setsockopt (s, filters[i], NULL, 0));
        int64_t big = 1;
        CHECK_ERR (zmq_setsockopt (s, filters[i], &big, sizeof big), EINVAL);
        size_t len = sizeof id;
        CHECK_ERR (zmq_getsockopt (s, filters[i], &id, &len), EINVAL);
    }
    CHECK_RC (zmq_close (s));
}

static void test_unknown_options (void)
{
    void *s = new_socket (ZMQ_DEALER);
    const int unknown[] = {0, 1, 2, 3, 10, 1000, -1};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        int v = 1;
        size_t len = sizeof v;
        CHECK_ERR (zmq_setsockopt (s, unknown[i], &v, sizeof v), EINVAL);
        CHECK_ERR (zmq_getsockopt (s, unknown[i], &v, &len), EINVAL);
    }
    /*  A context option is not a socket option. */
    int v = 1;
    CHECK_ERR (zmq_setsockopt (s, ZMQ_BLOCKY, &v, sizeof v), EINVAL);
    CHECK_RC (zmq_close (s));
}

int main (void)
{
    TEST_TIMEOUT (30);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_int_options ();
    test_64bit_options ();
    test_string_options ();
    test_routing_id ();
    test_typed_options ();
    test_read_only ();
    test_curve_options ();
    test_optional_options ();
    test_ipc_filters ();
    test_unknown_options ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
