/*  What cannot be allocated is ENOMEM, and nothing is printed on the
    program's stderr: a message larger than memory, and a send of a buffer
    too large to copy. */
#include "testutil.h"

#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#define CALLS 4

int main (void)
{
    TEST_TIMEOUT (20);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *a = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    void *b = PLAIN_SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_bind (a, "inproc://nomem"));
    CHECK_RC (zmq_connect (b, "inproc://nomem"));
    /*  16 TiB of address space that reads as zeros and costs nothing. */
    const size_t huge = (size_t) 1 << 44;
    void *p = mmap (NULL, huge, PROT_READ,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    /*  Everything the library could print lands in a file; the results are
        checked once stderr is back. */
    FILE *captured = tmpfile ();
    CHECK (captured != NULL);
    fflush (stderr);
    int saved = dup (2);
    CHECK (saved >= 0);
    CHECK (dup2 (fileno (captured), 2) == 2);
    int rc[CALLS], err[CALLS];
    zmq_msg_t msg;
    rc[0] = zmq_msg_init_size (&msg, SIZE_MAX);
    err[0] = errno;
    rc[1] = zmq_msg_init_size (&msg, (size_t) 1 << 62);
    err[1] = errno;
    rc[2] = zmq_msg_init_size (&msg, (size_t) 1 << 44);
    err[2] = errno;
    rc[3] = -1;
    err[3] = ENOMEM;
    if (p != MAP_FAILED) {
        rc[3] = zmq_send (a, p, huge, ZMQ_DONTWAIT);
        err[3] = errno;
    }
    fflush (stderr);
    CHECK (dup2 (saved, 2) == 2);
    close (saved);

    for (int i = 0; i < CALLS; i++) {
        if (rc[i] != -1 || err[i] != ENOMEM)
            TEST_FAIL_ ("call %d: %d (%s), expected ENOMEM", i, rc[i],
                        zmq_strerror (err[i]));
    }
    long printed = ftell (captured);
    if (printed != 0) {
        char text[256] = "";
        rewind (captured);
        size_t n = fread (text, 1, sizeof text - 1, captured);
        text[n] = '\0';
        TEST_FAIL_ ("the library printed %ld bytes: %s", printed, text);
    }
    fclose (captured);
    if (p != MAP_FAILED)
        munmap (p, huge);

    /*  The sockets are fine. */
    SEND_STR (a, "still here", 0);
    SET_INT (b, ZMQ_RCVTIMEO, 5000);
    RECV_STR (b, "still here", 0);
    CHECK_RC (zmq_close (a));
    CHECK_RC (zmq_close (b));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
