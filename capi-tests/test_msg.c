/*  Messages: the zmq_msg_* family, user buffers and their free functions,
    copies sharing storage, properties, and the send/receive calls that move
    messages over an inproc PAIR. */
#include "testutil.h"

#include <stdint.h>
#include <sys/uio.h>

static int free_calls;
static void *freed_data;
static void *freed_hint;

static void count_free (void *data, void *hint)
{
    free_calls++;
    freed_data = data;
    freed_hint = hint;
    free (data);
}

static void reset_free_count (void)
{
    free_calls = 0;
    freed_data = NULL;
    freed_hint = NULL;
}

static char *dup_bytes (const char *s, size_t n)
{
    char *p = (char *) malloc (n);
    CHECK (p != NULL);
    memcpy (p, s, n);
    return p;
}

static void make_pair (void *ctx, void **a, void **b, const char *endpoint)
{
    *a = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    *b = CHECK_PTR (zmq_socket (ctx, ZMQ_PAIR));
    CHECK_RC (zmq_bind (*a, endpoint));
    CHECK_RC (zmq_connect (*b, endpoint));
}

static void test_init (void)
{
    zmq_msg_t msg;
    CHECK_EQ (sizeof (zmq_msg_t), 64);

    CHECK_RC (zmq_msg_init (&msg));
    CHECK_EQ (zmq_msg_size (&msg), 0);
    CHECK_EQ (zmq_msg_more (&msg), 0);
    CHECK_RC (zmq_msg_close (&msg));

    /*  Sizes on both sides of the inline limit, and large ones. */
    const size_t sizes[] = {0, 1, 29, 33, 34, 64, 1000, 100000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        CHECK_RC (zmq_msg_init_size (&msg, sizes[i]));
        CHECK_EQ (zmq_msg_size (&msg), sizes[i]);
        if (sizes[i] > 0) {
            unsigned char *p = (unsigned char *) zmq_msg_data (&msg);
            CHECK (p != NULL);
            memset (p, (int) i, sizes[i]);
            CHECK_EQ (p[sizes[i] - 1], i);
        }
        CHECK_EQ (zmq_msg_more (&msg), 0);
        CHECK_RC (zmq_msg_close (&msg));
    }

    /*  An impossible size. */
    CHECK_ERR (zmq_msg_init_size (&msg, SIZE_MAX), ENOMEM);

    /*  A closed message can be initialised again. */
    CHECK_RC (zmq_msg_init_size (&msg, 10));
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_msg_init_size (&msg, 20));
    CHECK_EQ (zmq_msg_size (&msg), 20);
    CHECK_RC (zmq_msg_close (&msg));
}

static void test_init_data (void)
{
    zmq_msg_t msg, copy;
    int hint_target = 0;

    /*  The free function runs once, on close, with the data and the hint. */
    reset_free_count ();
    char *buf = dup_bytes ("hello", 5);
    CHECK_RC (zmq_msg_init_data (&msg, buf, 5, count_free, &hint_target));
    CHECK (zmq_msg_data (&msg) == buf);
    CHECK_EQ (zmq_msg_size (&msg), 5);
    CHECK_EQ (free_calls, 0);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 1);
    CHECK (freed_data == buf);
    CHECK (freed_hint == &hint_target);

    /*  A zero-size user buffer still gets its free function called. */
    reset_free_count ();
    buf = dup_bytes ("x", 1);
    CHECK_RC (zmq_msg_init_data (&msg, buf, 0, count_free, NULL));
    CHECK_EQ (zmq_msg_size (&msg), 0);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 1);

    /*  Copies share the user buffer; it is freed once, after the last close. */
    reset_free_count ();
    buf = dup_bytes ("shared buffer", 13);
    CHECK_RC (zmq_msg_init_data (&msg, buf, 13, count_free, &hint_target));
    CHECK_RC (zmq_msg_init (&copy));
    CHECK_RC (zmq_msg_copy (&copy, &msg));
    CHECK (zmq_msg_data (&copy) == buf);
    CHECK_EQ (zmq_msg_size (&copy), 13);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 0);
    CHECK (memcmp (zmq_msg_data (&copy), "shared buffer", 13) == 0);
    CHECK_RC (zmq_msg_close (&copy));
    CHECK_EQ (free_calls, 1);
    CHECK (freed_data == buf);
    CHECK (freed_hint == &hint_target);

    /*  Three copies, closed in another order. */
    reset_free_count ();
    zmq_msg_t third;
    buf = dup_bytes ("abcdef", 6);
    CHECK_RC (zmq_msg_init_data (&msg, buf, 6, count_free, NULL));
    CHECK_RC (zmq_msg_init (&copy));
    CHECK_RC (zmq_msg_init (&third));
    CHECK_RC (zmq_msg_copy (&copy, &msg));
    CHECK_RC (zmq_msg_copy (&third, &copy));
    CHECK_RC (zmq_msg_close (&copy));
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 0);
    CHECK_RC (zmq_msg_close (&third));
    CHECK_EQ (free_calls, 1);

    /*  Without a free function the buffer is the caller's, never freed. */
    static const char constant[] = "constant data";
    CHECK_RC (zmq_msg_init_data (&msg, (void *) constant, sizeof constant,
                                 NULL, NULL));
    CHECK (zmq_msg_data (&msg) == constant);
    CHECK_EQ (zmq_msg_size (&msg), sizeof constant);
    CHECK_RC (zmq_msg_close (&msg));

    /*  Receiving into a message releases what it held. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a, *b;
    make_pair (ctx, &a, &b, "inproc://msg-recv-into");
    reset_free_count ();
    buf = dup_bytes ("old", 3);
    CHECK_RC (zmq_msg_init_data (&msg, buf, 3, count_free, NULL));
    CHECK_EQ (zmq_send (a, "new", 3, 0), 3);
    CHECK_EQ (zmq_msg_recv (&msg, b, 0), 3);
    CHECK_EQ (free_calls, 1);
    CHECK (memcmp (zmq_msg_data (&msg), "new", 3) == 0);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 1);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

/*  A user buffer sent over inproc arrives without a copy and is freed once,
    when the receiver closes it. */
static void test_init_data_over_inproc (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a, *b;
    make_pair (ctx, &a, &b, "inproc://msg-init-data");

    reset_free_count ();
    int hint_target = 0;
    char *buf = dup_bytes ("zero-copy payload", 17);
    zmq_msg_t msg, received;
    CHECK_RC (zmq_msg_init_data (&msg, buf, 17, count_free, &hint_target));
    CHECK_EQ (zmq_msg_send (&msg, a, 0), 17);
    /*  A sent message is left empty; the free function has not run. */
    CHECK_EQ (zmq_msg_size (&msg), 0);
    CHECK_EQ (free_calls, 0);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 0);

    CHECK_RC (zmq_msg_init (&received));
    CHECK_EQ (zmq_msg_recv (&received, b, 0), 17);
    CHECK_EQ (zmq_msg_size (&received), 17);
    CHECK (zmq_msg_data (&received) == buf);
    CHECK (memcmp (zmq_msg_data (&received), "zero-copy payload", 17) == 0);
    CHECK_EQ (free_calls, 0);
    CHECK_RC (zmq_msg_close (&received));
    CHECK_EQ (free_calls, 1);
    CHECK (freed_data == buf);
    CHECK (freed_hint == &hint_target);

    /*  A copy kept by the sender and the received message share the buffer. */
    reset_free_count ();
    buf = dup_bytes ("kept and sent", 13);
    zmq_msg_t kept;
    CHECK_RC (zmq_msg_init_data (&msg, buf, 13, count_free, NULL));
    CHECK_RC (zmq_msg_init (&kept));
    CHECK_RC (zmq_msg_copy (&kept, &msg));
    CHECK_EQ (zmq_msg_send (&msg, a, 0), 13);
    CHECK_RC (zmq_msg_init (&received));
    CHECK_EQ (zmq_msg_recv (&received, b, 0), 13);
    CHECK (zmq_msg_data (&received) == buf);
    CHECK_RC (zmq_msg_close (&received));
    CHECK_EQ (free_calls, 0);
    CHECK_RC (zmq_msg_close (&kept));
    CHECK_EQ (free_calls, 1);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_EQ (free_calls, 1);

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void test_copy_move (void)
{
    zmq_msg_t a, b;

    /*  A large message's copy shares its buffer. */
    CHECK_RC (zmq_msg_init_size (&a, 1000));
    memset (zmq_msg_data (&a), 'L', 1000);
    CHECK_RC (zmq_msg_init (&b));
    CHECK_RC (zmq_msg_copy (&b, &a));
    CHECK_EQ (zmq_msg_size (&b), 1000);
    CHECK (zmq_msg_data (&a) == zmq_msg_data (&b));
    CHECK_RC (zmq_msg_close (&a));
    CHECK_EQ (((unsigned char *) zmq_msg_data (&b))[999], 'L');
    CHECK_RC (zmq_msg_close (&b));

    /*  A small message's copy has the same bytes. */
    CHECK_RC (zmq_msg_init_size (&a, 5));
    memcpy (zmq_msg_data (&a), "small", 5);
    CHECK_RC (zmq_msg_init (&b));
    CHECK_RC (zmq_msg_copy (&b, &a));
    CHECK_EQ (zmq_msg_size (&b), 5);
    CHECK (memcmp (zmq_msg_data (&b), "small", 5) == 0);
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));

    /*  Copying over a message that held content releases that content. */
    reset_free_count ();
    char *buf = dup_bytes ("overwritten", 11);
    CHECK_RC (zmq_msg_init_data (&b, buf, 11, count_free, NULL));
    CHECK_RC (zmq_msg_init_size (&a, 3));
    memcpy (zmq_msg_data (&a), "new", 3);
    CHECK_RC (zmq_msg_copy (&b, &a));
    CHECK_EQ (free_calls, 1);
    CHECK_EQ (zmq_msg_size (&b), 3);
    CHECK (memcmp (zmq_msg_data (&b), "new", 3) == 0);
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));

    /*  Move: the destination takes the content, the source is left empty. */
    CHECK_RC (zmq_msg_init_size (&a, 3));
    memcpy (zmq_msg_data (&a), "abc", 3);
    CHECK_RC (zmq_msg_init_size (&b, 50));
    CHECK_RC (zmq_msg_move (&b, &a));
    CHECK_EQ (zmq_msg_size (&b), 3);
    CHECK (memcmp (zmq_msg_data (&b), "abc", 3) == 0);
    CHECK_EQ (zmq_msg_size (&a), 0);
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));

    /*  Moving a large message keeps its buffer. */
    CHECK_RC (zmq_msg_init_size (&a, 500));
    void *data = zmq_msg_data (&a);
    CHECK_RC (zmq_msg_init (&b));
    CHECK_RC (zmq_msg_move (&b, &a));
    CHECK (zmq_msg_data (&b) == data);
    CHECK_EQ (zmq_msg_size (&b), 500);
    CHECK_EQ (zmq_msg_size (&a), 0);
    CHECK_RC (zmq_msg_close (&b));
    CHECK_RC (zmq_msg_close (&a));

    /*  Moving over a user buffer releases it; the moved one is not freed. */
    reset_free_count ();
    buf = dup_bytes ("released", 8);
    CHECK_RC (zmq_msg_init_data (&b, buf, 8, count_free, NULL));
    CHECK_RC (zmq_msg_init_size (&a, 2));
    CHECK_RC (zmq_msg_move (&b, &a));
    CHECK_EQ (free_calls, 1);
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));
    CHECK_EQ (free_calls, 1);

    reset_free_count ();
    buf = dup_bytes ("travels", 7);
    CHECK_RC (zmq_msg_init_data (&a, buf, 7, count_free, NULL));
    CHECK_RC (zmq_msg_init (&b));
    CHECK_RC (zmq_msg_move (&b, &a));
    CHECK_RC (zmq_msg_close (&a));
    CHECK_EQ (free_calls, 0);
    CHECK (zmq_msg_data (&b) == buf);
    CHECK_RC (zmq_msg_close (&b));
    CHECK_EQ (free_calls, 1);
}

static void test_properties (void)
{
    zmq_msg_t msg, copy;

    CHECK_RC (zmq_msg_init (&msg));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_MORE), 0);
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    /*  SRCFD comes from connection metadata, which this message lacks. */
    CHECK_ERR (zmq_msg_get (&msg, ZMQ_SRCFD), EINVAL);
    CHECK_ERR (zmq_msg_get (&msg, 0), EINVAL);
    CHECK_ERR (zmq_msg_get (&msg, 4), EINVAL);
    CHECK_ERR (zmq_msg_get (&msg, -1), EINVAL);
    CHECK_ERR (zmq_msg_get (&msg, 1000), EINVAL);

    /*  No property can be set. */
    CHECK_ERR (zmq_msg_set (&msg, ZMQ_MORE, 1), EINVAL);
    CHECK_ERR (zmq_msg_set (&msg, ZMQ_SHARED, 1), EINVAL);
    CHECK_ERR (zmq_msg_set (&msg, ZMQ_SRCFD, 1), EINVAL);
    CHECK_ERR (zmq_msg_set (&msg, 0, 0), EINVAL);
    CHECK_ERR (zmq_msg_set (&msg, 1000, 0), EINVAL);

    /*  A message with no metadata has no string properties. */
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "Socket-Type"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "Routing-Id"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "Identity"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "User-Id"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "Peer-Address"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, "X-Custom"), EINVAL);
    CHECK_NULL_ERR (zmq_msg_gets (&msg, ""), EINVAL);
    CHECK_RC (zmq_msg_close (&msg));

    /*  SHARED: 0 for a lone message, 1 for both after a copy of a large one,
        1 for constant data. */
    CHECK_RC (zmq_msg_init_size (&msg, 100));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_RC (zmq_msg_init (&copy));
    CHECK_RC (zmq_msg_copy (&copy, &msg));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_EQ (zmq_msg_get (&copy, ZMQ_SHARED), 1);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_msg_close (&copy));

    CHECK_RC (zmq_msg_init_size (&msg, 10));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_RC (zmq_msg_close (&msg));

    static const char constant[] = "constant";
    CHECK_RC (zmq_msg_init_data (&msg, (void *) constant, 8, NULL, NULL));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_RC (zmq_msg_close (&msg));

    reset_free_count ();
    CHECK_RC (
      zmq_msg_init_data (&msg, dup_bytes ("owned", 5), 5, count_free, NULL));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 0);
    CHECK_RC (zmq_msg_init (&copy));
    CHECK_RC (zmq_msg_copy (&copy, &msg));
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_msg_close (&copy));
    CHECK_EQ (free_calls, 1);
}

static void test_send_recv (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a, *b;
    make_pair (ctx, &a, &b, "inproc://msg-send-recv");
    zmq_msg_t msg;

    /*  zmq_msg_send / zmq_msg_recv, in both directions, several sizes. */
    const size_t sizes[] = {0, 1, 33, 34, 255, 256, 70000};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        CHECK_RC (zmq_msg_init_size (&msg, n));
        for (size_t j = 0; j < n; j++)
            ((unsigned char *) zmq_msg_data (&msg))[j] = (unsigned char) (j * 7);
        CHECK_EQ (zmq_msg_send (&msg, i % 2 ? a : b, 0), n);
        CHECK_EQ (zmq_msg_size (&msg), 0);
        CHECK_RC (zmq_msg_close (&msg));

        CHECK_RC (zmq_msg_init (&msg));
        CHECK_EQ (zmq_msg_recv (&msg, i % 2 ? b : a, 0), n);
        CHECK_EQ (zmq_msg_size (&msg), n);
        for (size_t j = 0; j < n; j++)
            CHECK_EQ (((unsigned char *) zmq_msg_data (&msg))[j],
                      (unsigned char) (j * 7));
        CHECK_EQ (zmq_msg_more (&msg), 0);
        CHECK_RC (zmq_msg_close (&msg));
    }

    /*  Nothing queued: a non-blocking receive fails with EAGAIN. */
    CHECK_RC (zmq_msg_init (&msg));
    CHECK_ERR (zmq_msg_recv (&msg, b, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_msg_close (&msg));
    char small[4];
    CHECK_ERR (zmq_recv (b, small, sizeof small, ZMQ_DONTWAIT), EAGAIN);

    /*  Multipart: MORE on every part but the last. */
    CHECK_EQ (zmq_send (a, "one", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ (zmq_send (a, "two", 3, ZMQ_SNDMORE), 3);
    CHECK_EQ (zmq_send (a, "three", 5, 0), 5);
    const char *parts[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        CHECK_RC (zmq_msg_init (&msg));
        CHECK_EQ (zmq_msg_recv (&msg, b, 0), strlen (parts[i]));
        CHECK (memcmp (zmq_msg_data (&msg), parts[i], strlen (parts[i])) == 0);
        int more = i < 2;
        CHECK_EQ (zmq_msg_more (&msg), more);
        CHECK_EQ (zmq_msg_get (&msg, ZMQ_MORE), more);
        int rcvmore = -1;
        size_t len = sizeof rcvmore;
        CHECK_RC (zmq_getsockopt (b, ZMQ_RCVMORE, &rcvmore, &len));
        CHECK_EQ (rcvmore, more);
        CHECK_RC (zmq_msg_close (&msg));
    }

    /*  zmq_recv truncates to the buffer but returns the full size. */
    CHECK_EQ (zmq_send (a, "0123456789", 10, 0), 10);
    char buf[16];
    memset (buf, 0, sizeof buf);
    CHECK_EQ (zmq_recv (b, buf, 4, 0), 10);
    CHECK (memcmp (buf, "0123", 4) == 0);
    CHECK_EQ (buf[4], 0);
    /*  ... and the rest of that message is gone. */
    CHECK_ERR (zmq_recv (b, buf, sizeof buf, ZMQ_DONTWAIT), EAGAIN);

    /*  A zero-length buffer. */
    CHECK_EQ (zmq_send (a, "abc", 3, 0), 3);
    CHECK_EQ (zmq_recv (b, buf, 0, 0), 3);
    CHECK_EQ (zmq_send (a, NULL, 0, 0), 0);
    CHECK_EQ (zmq_recv (b, buf, sizeof buf, 0), 0);

    /*  zmq_send_const: the data is not copied, so over inproc the receiver
        sees the very same bytes. */
    static const char constant[] = "constant payload that is long enough";
    size_t clen = sizeof constant - 1;
    CHECK_EQ (zmq_send_const (a, constant, 8, ZMQ_SNDMORE), 8);
    CHECK_EQ (zmq_send_const (a, constant, clen, 0), clen);
    CHECK_RC (zmq_msg_init (&msg));
    CHECK_EQ (zmq_msg_recv (&msg, b, 0), 8);
    CHECK_EQ (zmq_msg_more (&msg), 1);
    CHECK (memcmp (zmq_msg_data (&msg), "constant", 8) == 0);
    CHECK_EQ (zmq_msg_recv (&msg, b, 0), clen);
    CHECK_EQ (zmq_msg_more (&msg), 0);
    CHECK (zmq_msg_data (&msg) == constant);
    CHECK_EQ (zmq_msg_get (&msg, ZMQ_SHARED), 1);
    CHECK_RC (zmq_msg_close (&msg));

    /*  zmq_sendmsg / zmq_recvmsg are the old names of msg_send / msg_recv. */
    CHECK_RC (zmq_msg_init_size (&msg, 3));
    memcpy (zmq_msg_data (&msg), "old", 3);
    CHECK_EQ (zmq_sendmsg (a, &msg, ZMQ_SNDMORE), 3);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_msg_init_size (&msg, 4));
    memcpy (zmq_msg_data (&msg), "api!", 4);
    CHECK_EQ (zmq_sendmsg (a, &msg, 0), 4);
    CHECK_RC (zmq_msg_close (&msg));
    CHECK_RC (zmq_msg_init (&msg));
    CHECK_EQ (zmq_recvmsg (b, &msg, 0), 3);
    CHECK_EQ (zmq_msg_more (&msg), 1);
    CHECK (memcmp (zmq_msg_data (&msg), "old", 3) == 0);
    CHECK_EQ (zmq_recvmsg (b, &msg, 0), 4);
    CHECK_EQ (zmq_msg_more (&msg), 0);
    CHECK (memcmp (zmq_msg_data (&msg), "api!", 4) == 0);
    CHECK_ERR (zmq_recvmsg (b, &msg, ZMQ_DONTWAIT), EAGAIN);
    CHECK_RC (zmq_msg_close (&msg));

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

static void free_iov (struct iovec *iov, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (iov[i].iov_base);
}

static void test_iov (void)
{
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a, *b;
    make_pair (ctx, &a, &b, "inproc://msg-iov");

    char p0[] = "a", p1[] = "bb", p2[] = "ccc";
    struct iovec send_iov[3] = {{p0, 1}, {p1, 2}, {p2, 3}};
    struct iovec recv_iov[5];
    size_t count;

    /*  With ZMQ_SNDMORE the buffers go as one three-part message. */
    CHECK_RC (zmq_sendiov (a, send_iov, 3, ZMQ_SNDMORE));
    count = 5;
    CHECK_EQ (zmq_recviov (b, recv_iov, &count, 0), 3);
    CHECK_EQ (count, 3);
    for (size_t i = 0; i < 3; i++) {
        CHECK_EQ (recv_iov[i].iov_len, i + 1);
        CHECK (memcmp (recv_iov[i].iov_base, send_iov[i].iov_base, i + 1) == 0);
    }
    free_iov (recv_iov, count);
    int rcvmore = -1;
    size_t len = sizeof rcvmore;
    CHECK_RC (zmq_getsockopt (b, ZMQ_RCVMORE, &rcvmore, &len));
    CHECK_EQ (rcvmore, 0);

    /*  A short array reads only that many parts; the rest stays queued. */
    CHECK_RC (zmq_sendiov (a, send_iov, 3, ZMQ_SNDMORE));
    count = 2;
    CHECK_EQ (zmq_recviov (b, recv_iov, &count, 0), 2);
    CHECK_EQ (count, 2);
    CHECK_EQ (recv_iov[1].iov_len, 2);
    free_iov (recv_iov, count);
    CHECK_RC (zmq_getsockopt (b, ZMQ_RCVMORE, &rcvmore, &len));
    CHECK_EQ (rcvmore, 1);
    count = 5;
    CHECK_EQ (zmq_recviov (b, recv_iov, &count, 0), 1);
    CHECK_EQ (count, 1);
    CHECK_EQ (recv_iov[0].iov_len, 3);
    CHECK (memcmp (recv_iov[0].iov_base, "ccc", 3) == 0);
    free_iov (recv_iov, count);

    /*  libzmq applies the caller's flags to every buffer but the last, so
        without ZMQ_SNDMORE each buffer travels as a message of its own. */
    CHECK_RC (zmq_sendiov (a, send_iov, 3, 0));
    for (size_t i = 0; i < 3; i++) {
        count = 5;
        CHECK_EQ (zmq_recviov (b, recv_iov, &count, 0), 1);
        CHECK_EQ (count, 1);
        CHECK_EQ (recv_iov[0].iov_len, i + 1);
        free_iov (recv_iov, count);
    }

    /*  Nothing queued. */
    count = 5;
    CHECK_ERR (zmq_recviov (b, recv_iov, &count, ZMQ_DONTWAIT), EAGAIN);
    CHECK_EQ (count, 0);

    /*  Bad arguments. */
    CHECK_ERR (zmq_sendiov (a, send_iov, 0, 0), EINVAL);
    CHECK_ERR (zmq_sendiov (a, NULL, 1, 0), EINVAL);
    count = 0;
    CHECK_ERR (zmq_recviov (b, recv_iov, &count, ZMQ_DONTWAIT), EINVAL);
    CHECK_ERR (zmq_recviov (b, recv_iov, NULL, ZMQ_DONTWAIT), EINVAL);
    count = 1;
    CHECK_ERR (zmq_recviov (b, NULL, &count, ZMQ_DONTWAIT), EINVAL);

    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
}

int main (void)
{
    TEST_TIMEOUT (30);
    test_init ();
    test_init_data ();
    test_init_data_over_inproc ();
    test_copy_move ();
    test_properties ();
    test_send_recv ();
    test_iov ();
    return 0;
}
