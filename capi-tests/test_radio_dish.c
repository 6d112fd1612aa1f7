/*  RADIO and DISH (RFC 48): groups joined and left, messages delivered only
    to the DISH sockets that joined their group, over inproc, tcp, ipc and udp
    (unicast, and multicast where the machine allows it), and the errors of
    zmq_join, zmq_leave and zmq_msg_set_group. */
// libzmq: skip draft API absent from Debian's libzmq build
// libzmq-draft: ok
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void *ctx;

static void send_group (void *radio, const char *group, const char *body)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init_size (&m, strlen (body)));
    memcpy (zmq_msg_data (&m), body, strlen (body));
    CHECK_RC (zmq_msg_set_group (&m, group));
    CHECK_EQ (zmq_msg_send (&m, radio, 0), (int) strlen (body));
}

static void recv_group (void *dish, const char *group, const char *body)
{
    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    CHECK_EQ (zmq_msg_recv (&m, dish, 0), (int) strlen (body));
    CHECK (memcmp (zmq_msg_data (&m), body, strlen (body)) == 0);
    CHECK_STR (zmq_msg_group (&m), group);
    CHECK_EQ (zmq_msg_more (&m), 0);
    CHECK_RC (zmq_msg_close (&m));
}

static void test_group_rules (void)
{
    void *dish = PLAIN_SOCKET (ctx, ZMQ_DISH);
    void *radio = PLAIN_SOCKET (ctx, ZMQ_RADIO);
    CHECK_EQ (GET_INT (dish, ZMQ_THREAD_SAFE), 1);
    CHECK_EQ (GET_INT (radio, ZMQ_THREAD_SAFE), 1);
    /*  A DISH lingers for nothing by default, as in libzmq. */
    CHECK_EQ (GET_INT (dish, ZMQ_LINGER), 0);

    CHECK_ERR (zmq_leave (dish, "Movies"), EINVAL);
    CHECK_RC (zmq_join (dish, "Movies"));
    CHECK_ERR (zmq_join (dish, "Movies"), EINVAL);
    CHECK_RC (zmq_leave (dish, "Movies"));
    CHECK_ERR (zmq_leave (dish, "Movies"), EINVAL);

    char group[300];
    memset (group, 'g', sizeof group);
    group[255] = '\0';
    CHECK_RC (zmq_join (dish, group));
    group[255] = 'g';
    group[256] = '\0';
    CHECK_ERR (zmq_join (dish, group), EINVAL);
    CHECK_ERR (zmq_leave (dish, group), EINVAL);

    zmq_msg_t m;
    CHECK_RC (zmq_msg_init (&m));
    CHECK_STR (zmq_msg_group (&m), "");
    CHECK_RC (zmq_msg_set_group (&m, "short"));
    CHECK_STR (zmq_msg_group (&m), "short");
    /*  As libzmq: a group longer than ZMQ_GROUP_MAX_LENGTH is cut there. */
    CHECK_RC (zmq_msg_set_group (&m, group));
    CHECK_EQ (strlen (zmq_msg_group (&m)), 255);
    CHECK_RC (zmq_msg_close (&m));

    /*  Only DISH joins, only RADIO sends, only DISH receives. */
    CHECK_ERR (zmq_join (radio, "x"), ENOTSUP);
    void *pub = PLAIN_SOCKET (ctx, ZMQ_PUB);
    CHECK_ERR (zmq_join (pub, "x"), ENOTSUP);
    CHECK_ERR (zmq_send (dish, "x", 1, ZMQ_DONTWAIT), ENOTSUP);
    char buf[8];
    CHECK_ERR (zmq_recv (radio, buf, sizeof buf, ZMQ_DONTWAIT), ENOTSUP);
    /*  Single-part messages only. */
    CHECK_ERR (zmq_send (radio, "x", 1, ZMQ_SNDMORE), EINVAL);
    /*  A RADIO without peers takes (and drops) messages; a DISH can always join. */
    CHECK_EQ (GET_INT (radio, ZMQ_EVENTS), ZMQ_POLLOUT);
    CHECK_EQ (GET_INT (dish, ZMQ_EVENTS), ZMQ_POLLOUT);
    send_group (radio, "x", "nobody hears this");
    /*  ZMQ_XPUB_NODROP is RADIO's: a non-negative int. */
    SET_INT (radio, ZMQ_XPUB_NODROP, 1);
    int bad = -1;
    CHECK_ERR (zmq_setsockopt (radio, ZMQ_XPUB_NODROP, &bad, sizeof bad), EINVAL);
    /*  udp: DISH binds, RADIO connects; not the other way round, and no other
        type takes udp at all. */
    CHECK_ERR (zmq_connect (dish, "udp://127.0.0.1:5556"), ENOCOMPATPROTO);
    CHECK_ERR (zmq_bind (radio, "udp://*:5556"), ENOCOMPATPROTO);
    CHECK_ERR (zmq_bind (pub, "udp://*:5556"), ENOCOMPATPROTO);
    CHECK_RC (zmq_close (pub));
    CHECK_RC (zmq_close (dish));
    CHECK_RC (zmq_close (radio));
}

/*  Two DISH sockets on different groups, connected to one RADIO. */
static void test_stream (const char *bind_to)
{
    void *radio = SOCKET (ctx, ZMQ_RADIO);
    void *tv = SOCKET (ctx, ZMQ_DISH);
    void *movies = SOCKET (ctx, ZMQ_DISH);
    SET_INT (radio, ZMQ_LINGER, 0);
    /*  A join made before connecting reaches the RADIO once connected. */
    CHECK_RC (zmq_join (tv, "TV"));
    CHECK_RC (zmq_bind (radio, bind_to));
    char endpoint[256];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (radio, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_RC (zmq_connect (tv, endpoint));
    CHECK_RC (zmq_connect (movies, endpoint));
    CHECK_RC (zmq_join (movies, "Movies"));

    /*  The joins travel to the RADIO asynchronously: wait until both show. */
    for (int i = 0;; i++) {
        CHECK (i < 500);
        send_group (radio, "TV", "probe");
        send_group (radio, "Movies", "probe");
        msleep (10);
        if ((GET_INT (tv, ZMQ_EVENTS) & ZMQ_POLLIN)
            && (GET_INT (movies, ZMQ_EVENTS) & ZMQ_POLLIN))
            break;
    }
    char buf[64];
    while (zmq_recv (tv, buf, sizeof buf, ZMQ_DONTWAIT) == 5) {
    }
    while (zmq_recv (movies, buf, sizeof buf, ZMQ_DONTWAIT) == 5) {
    }

    send_group (radio, "Music", "not for anyone");
    send_group (radio, "TV", "Friends");
    send_group (radio, "Movies", "Godfather");
    recv_group (tv, "TV", "Friends");
    recv_group (movies, "Movies", "Godfather");
    EXPECT_NOTHING (tv, 100);
    EXPECT_NOTHING (movies, 0);

    /*  After a leave the group's messages stop coming. */
    CHECK_RC (zmq_leave (tv, "TV"));
    CHECK_RC (zmq_join (tv, "Movies"));
    msleep (100);
    send_group (radio, "TV", "Seinfeld");
    send_group (radio, "Movies", "Casablanca");
    recv_group (tv, "Movies", "Casablanca");
    recv_group (movies, "Movies", "Casablanca");
    EXPECT_NOTHING (tv, 100);

    CHECK_RC (zmq_close (tv));
    CHECK_RC (zmq_close (movies));
    CHECK_RC (zmq_close (radio));
}

/*  A DISH reconnecting to a RADIO that restarted joins its groups again. */
static void test_rejoin_after_reconnect (void)
{
    void *radio = SOCKET (ctx, ZMQ_RADIO);
    void *dish = SOCKET (ctx, ZMQ_DISH);
    SET_INT (radio, ZMQ_LINGER, 0);
    SET_INT (dish, ZMQ_RECONNECT_IVL, 20);
    CHECK_RC (zmq_bind (radio, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t len = sizeof endpoint;
    CHECK_RC (zmq_getsockopt (radio, ZMQ_LAST_ENDPOINT, endpoint, &len));
    CHECK_RC (zmq_join (dish, "TV"));
    CHECK_RC (zmq_connect (dish, endpoint));
    for (int round = 0; round < 2; round++) {
        int got = 0;
        for (int i = 0; i < 500 && !got; i++) {
            send_group (radio, "TV", "news");
            msleep (10);
            got = (GET_INT (dish, ZMQ_EVENTS) & ZMQ_POLLIN) != 0;
        }
        CHECK (got);
        recv_group (dish, "TV", "news");
        char buf[16];
        while (zmq_recv (dish, buf, sizeof buf, ZMQ_DONTWAIT) >= 0) {
        }
        if (round == 0) {
            /*  The RADIO goes and comes back at the same address. */
            CHECK_RC (zmq_close (radio));
            radio = SOCKET (ctx, ZMQ_RADIO);
            SET_INT (radio, ZMQ_LINGER, 0);
            /*  The old listener closes asynchronously (in libzmq too). */
            int rc = -1;
            for (int i = 0; i < 200 && rc != 0; i++) {
                rc = zmq_bind (radio, endpoint);
                if (rc != 0) {
                    CHECK_EQ (errno, EADDRINUSE);
                    msleep (10);
                }
            }
            CHECK_RC (rc);
        }
    }
    CHECK_RC (zmq_close (dish));
    CHECK_RC (zmq_close (radio));
}

/*  A udp port free now (for a DISH to bind). */
static int free_udp_port (int v6)
{
    int s = socket (v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
    CHECK (s >= 0);
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    socklen_t len;
    if (v6) {
        memset (&a6, 0, sizeof a6);
        a6.sin6_family = AF_INET6;
        a6.sin6_addr = in6addr_loopback;
        CHECK (bind (s, (struct sockaddr *) &a6, sizeof a6) == 0);
        len = sizeof a6;
        CHECK (getsockname (s, (struct sockaddr *) &a6, &len) == 0);
        close (s);
        return ntohs (a6.sin6_port);
    }
    memset (&a4, 0, sizeof a4);
    a4.sin_family = AF_INET;
    a4.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    CHECK (bind (s, (struct sockaddr *) &a4, sizeof a4) == 0);
    len = sizeof a4;
    CHECK (getsockname (s, (struct sockaddr *) &a4, &len) == 0);
    close (s);
    return ntohs (a4.sin_port);
}

/*  RADIO to DISH over udp: datagrams are sent, received and filtered by
    group; a message of a group not joined never shows. */
static void udp_exchange (const char *dish_url, const char *radio_url, int v6,
                          int loop)
{
    void *radio = SOCKET (ctx, ZMQ_RADIO);
    void *dish = SOCKET (ctx, ZMQ_DISH);
    SET_INT (radio, ZMQ_IPV6, v6);
    SET_INT (dish, ZMQ_IPV6, v6);
    if (!loop)
        SET_INT (radio, ZMQ_MULTICAST_LOOP, 0);
    CHECK_RC (zmq_bind (dish, dish_url));
    CHECK_RC (zmq_connect (radio, radio_url));
    /*  As libzmq: the last endpoint of a udp endpoint is its address alone. */
    char last[64];
    size_t len = sizeof last;
    CHECK_RC (zmq_getsockopt (radio, ZMQ_LAST_ENDPOINT, last, &len));
    CHECK_STR (last, radio_url + strlen ("udp://"));
    CHECK_RC (zmq_join (dish, "TV"));
    msleep (100);
    if (!loop) {
        send_group (radio, "TV", "Friends");
        msleep (200);
        char buf[16];
        CHECK_ERR (zmq_recv (dish, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);
    } else {
        /*  Datagrams may be lost: send until one arrives. */
        int got = 0;
        for (int i = 0; i < 50 && !got; i++) {
            send_group (radio, "Music", "Bach");
            send_group (radio, "TV", "Friends");
            msleep (20);
            got = (GET_INT (dish, ZMQ_EVENTS) & ZMQ_POLLIN) != 0;
        }
        CHECK (got);
        recv_group (dish, "TV", "Friends");
    }
    CHECK_RC (zmq_close (dish));
    CHECK_RC (zmq_close (radio));
}

static void test_udp_unicast (int v6)
{
    char dish_url[64], radio_url[64];
    int port = free_udp_port (v6);
    snprintf (dish_url, sizeof dish_url, "udp://*:%d", port);
    snprintf (radio_url, sizeof radio_url,
              v6 ? "udp://[::1]:%d" : "udp://127.0.0.1:%d", port);
    udp_exchange (dish_url, radio_url, v6, 1);
    /*  A DISH bound to the loopback address itself. */
    port = free_udp_port (v6);
    snprintf (dish_url, sizeof dish_url,
              v6 ? "udp://[::1]:%d" : "udp://127.0.0.1:%d", port);
    udp_exchange (dish_url, dish_url, v6, 1);
}

/*  Whether a multicast datagram sent here comes back to this host. */
static int multicast_works (const char *group, int port)
{
    int ok = 0;
    int r = socket (AF_INET, SOCK_DGRAM, 0), s = socket (AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in any, to;
    memset (&any, 0, sizeof any);
    any.sin_family = AF_INET;
    any.sin_port = htons ((uint16_t) port);
    to = any;
    inet_pton (AF_INET, group, &to.sin_addr);
    struct ip_mreq mreq;
    mreq.imr_multiaddr = to.sin_addr;
    mreq.imr_interface.s_addr = htonl (INADDR_ANY);
    int one = 1;
    struct timeval tv = {0, 300000};
    if (r >= 0 && s >= 0 && bind (r, (struct sockaddr *) &any, sizeof any) == 0
        && setsockopt (r, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) == 0
        && setsockopt (s, IPPROTO_IP, IP_MULTICAST_LOOP, &one, sizeof one) == 0
        && setsockopt (r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0
        && sendto (s, "ping", 4, 0, (struct sockaddr *) &to, sizeof to) == 4) {
        char buf[8];
        ok = recv (r, buf, sizeof buf, 0) == 4;
    }
    if (r >= 0)
        close (r);
    if (s >= 0)
        close (s);
    return ok;
}

static void test_udp_multicast (void)
{
    int port = free_udp_port (0);
    if (!multicast_works ("226.8.5.5", port)) {
        fprintf (stderr, "multicast not available here: not tested\n");
        return;
    }
    char url[64];
    snprintf (url, sizeof url, "udp://226.8.5.5:%d", port);
    udp_exchange (url, url, 0, 1);
    /*  The interface named explicitly. */
    char dish_url[64];
    snprintf (dish_url, sizeof dish_url, "udp://*;226.8.5.5:%d", port);
    udp_exchange (dish_url, url, 0, 1);
    /*  ZMQ_MULTICAST_LOOP=0: nothing comes back to this host. */
    udp_exchange (url, url, 0, 0);
}

static int ipv6_available (void)
{
    int s = socket (AF_INET6, SOCK_DGRAM, 0);
    if (s < 0)
        return 0;
    struct sockaddr_in6 a;
    memset (&a, 0, sizeof a);
    a.sin6_family = AF_INET6;
    a.sin6_addr = in6addr_loopback;
    int ok = bind (s, (struct sockaddr *) &a, sizeof a) == 0;
    close (s);
    return ok;
}

static void test_udp_addresses (void)
{
    void *dish = PLAIN_SOCKET (ctx, ZMQ_DISH);
    void *radio = PLAIN_SOCKET (ctx, ZMQ_RADIO);
    CHECK_ERR (zmq_bind (dish, "udp://127.0.0.1"), EINVAL);
    CHECK_ERR (zmq_connect (radio, "udp://127.0.0.1:x"), EINVAL);
    /*  An interface only goes with a multicast address. */
    CHECK_ERR (zmq_bind (dish, "udp://127.0.0.1;127.0.0.1:5556"), EINVAL);
    CHECK_RC (zmq_close (dish));
    CHECK_RC (zmq_close (radio));
}

int main (void)
{
    TEST_TIMEOUT (50);
    ctx = CHECK_PTR (zmq_ctx_new ());
    test_group_rules ();
    test_stream ("inproc://radio-dish");
    test_stream ("tcp://127.0.0.1:*");
    test_stream ("ipc://*");
    test_rejoin_after_reconnect ();
    test_udp_unicast (0);
    if (ipv6_available ())
        test_udp_unicast (1);
    test_udp_multicast ();
    test_udp_addresses ();
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
