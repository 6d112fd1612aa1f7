/*  A zmq_msg_t copied by value (which the API forbids: zmq_msg_copy is the
    way) and then closed twice: the second close of a shared payload answers
    EFAULT and releases nothing, however many messages came and went in
    between; a payload's free function runs once. A copy made by value to
    move a message (the old one re-initialised, as C++ bindings do) stays
    valid. libzmq frees the payload twice. */
// libzmq: skip libzmq aborts on the double free this test provokes
#include "testutil.h"

static int freed;

static void count_free (void *data, void *hint)
{
    (void) data;
    (void) hint;
    freed++;
}

static void sized (zmq_msg_t *m, size_t size, char fill)
{
    CHECK_RC (zmq_msg_init_size (m, size));
    memset (zmq_msg_data (m), fill, size);
}

int main (void)
{
    TEST_TIMEOUT (20);

    /*  Copied twice by value, closed three times. */
    zmq_msg_t a, b, c;
    sized (&a, 1000, 'a');
    b = a;
    c = a;
    CHECK_RC (zmq_msg_close (&b));
    CHECK_ERR (zmq_msg_close (&a), EFAULT);
    CHECK_ERR (zmq_msg_close (&c), EFAULT);
    CHECK_ERR (zmq_msg_size (&c) == 0 ? -1 : 0, EFAULT);

    /*  The stale copy stays stale while many payloads come and go. */
    sized (&a, 300, 'x');
    b = a;
    CHECK_RC (zmq_msg_close (&a));
    for (int i = 0; i < 10000; i++) {
        zmq_msg_t other;
        sized (&other, 100 + i % 500, 'o');
        CHECK_RC (zmq_msg_close (&other));
    }
    CHECK_ERR (zmq_msg_close (&b), EFAULT);

    /*  zmq_msg_copy is the way: each copy is closed once. */
    sized (&a, 500, 'y');
    CHECK_RC (zmq_msg_init (&b));
    CHECK_RC (zmq_msg_copy (&b, &a));
    CHECK_RC (zmq_msg_close (&a));
    CHECK_EQ (zmq_msg_size (&b), 500);
    CHECK_EQ (((char *) zmq_msg_data (&b))[499], 'y');
    CHECK_RC (zmq_msg_close (&b));

    /*  Moved by value, the old one re-initialised: both stay valid. */
    sized (&a, 400, 'm');
    b = a;
    CHECK_RC (zmq_msg_init (&a));
    CHECK_EQ (zmq_msg_size (&b), 400);
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));

    /*  A user buffer's free function runs once. */
    static char buffer[256];
    CHECK_RC (zmq_msg_init_data (&a, buffer, sizeof buffer, count_free, NULL));
    b = a;
    CHECK_RC (zmq_msg_close (&a));
    CHECK_EQ (freed, 1);
    CHECK_ERR (zmq_msg_close (&b), EFAULT);
    CHECK_EQ (freed, 1);

    /*  Sent, the payload left with the message: the copy is stale. */
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *tx = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    void *rx = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (rx, "inproc://by-value"));
    CHECK_RC (zmq_connect (tx, "inproc://by-value"));
    sized (&a, 2000, 's');
    b = a;
    CHECK_EQ (zmq_msg_send (&a, tx, 0), 2000);
    CHECK_ERR (zmq_msg_close (&b), EFAULT);
    CHECK_ERR (zmq_msg_send (&b, tx, 0), EFAULT);
    CHECK_RC (zmq_msg_init (&c));
    CHECK_EQ (zmq_msg_recv (&c, rx, 0), 2000);
    CHECK_EQ (((char *) zmq_msg_data (&c))[1999], 's');
    /*  Received, copied by value, closed twice. */
    b = c;
    CHECK_RC (zmq_msg_close (&c));
    CHECK_ERR (zmq_msg_close (&b), EFAULT);
    CHECK_RC (zmq_msg_close (&a));
    /*  The same with a payload of a size small blocks serve, received while
        the receiver holds it alone, then while another message shares it. */
    for (int shared = 0; shared < 2; shared++) {
        zmq_msg_t keep;
        sized (&a, 100, 'p');
        if (shared) {
            CHECK_RC (zmq_msg_init (&keep));
            CHECK_RC (zmq_msg_copy (&keep, &a));
        }
        CHECK_EQ (zmq_msg_send (&a, tx, 0), 100);
        CHECK_RC (zmq_msg_init (&c));
        CHECK_EQ (zmq_msg_recv (&c, rx, 0), 100);
        b = c;
        CHECK_RC (zmq_msg_close (&c));
        CHECK_ERR (zmq_msg_close (&b), EFAULT);
        CHECK_ERR (zmq_msg_send (&b, tx, 0), EFAULT);
        if (shared) {
            CHECK_EQ (((char *) zmq_msg_data (&keep))[99], 'p');
            CHECK_RC (zmq_msg_close (&keep));
        }
        CHECK_RC (zmq_msg_close (&a));
    }

    /*  Small messages live inside zmq_msg_t: a copy by value is a copy. */
    CHECK_RC (zmq_msg_init_size (&a, 5));
    b = a;
    CHECK_RC (zmq_msg_close (&a));
    CHECK_RC (zmq_msg_close (&b));

    CHECK_RC (zmq_close (tx));
    CHECK_RC (zmq_close (rx));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
