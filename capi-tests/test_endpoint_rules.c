/*  Endpoints libzmq refuses before doing anything: zmq_connect to a tcp
    address whose host is "*" or whose port is not a number, and an abstract
    ipc name with no characters ("ipc://@"), bound or connected. */
#include "testutil.h"

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *s = PLAIN_SOCKET (ctx, ZMQ_PUSH);
    SET_INT (s, ZMQ_LINGER, 0);

    const char *refused[] = {"tcp://*:5555", "tcp://*:*", "tcp://127.0.0.1:*",
                             "tcp://*:0;127.0.0.1:5555", "ipc://@", NULL};
    for (int i = 0; refused[i]; i++) {
        errno = 0;
        int rc = zmq_connect (s, refused[i]);
        if (rc != -1 || errno != EINVAL)
            TEST_FAIL_ ("connect %s: %d (%s), expected EINVAL", refused[i],
                        rc, zmq_strerror (errno));
    }
    /*  A source address may keep its wildcard port, and port 0 is a number. */
    CHECK_RC (zmq_connect (s, "tcp://127.0.0.1:*;127.0.0.1:5555"));
    CHECK_RC (zmq_connect (s, "tcp://127.0.0.1:0"));

    void *b = PLAIN_SOCKET (ctx, ZMQ_PULL);
    CHECK_ERR (zmq_bind (b, "ipc://@"), EINVAL);
    CHECK_RC (zmq_bind (b, "tcp://*:*"));

    CHECK_RC (zmq_close (s));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
