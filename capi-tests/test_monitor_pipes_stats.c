// libzmq: skip draft API absent from Debian's libzmq build (zmq_socket_monitor_versioned, zmq_socket_monitor_pipes_stats)
/*  The v2 monitor and pipe statistics: EINVAL unless ZMQ_EVENT_PIPES_STATS is
    monitored, EAGAIN without pipes, then one event per pipe carrying the outbound
    and inbound queue sizes. */
#define ZMQ_BUILD_DRAFT_API
#include <zmq.h>
#include <stdint.h>
#include <string.h>
#include "testutil.h"

/*  Reads one v2 event: id, values, local and remote endpoints. */
static uint64_t recv_event_v2 (void *mon, uint64_t *values, size_t max, size_t *count)
{
    uint64_t event, n;
    CHECK (zmq_recv (mon, &event, sizeof event, 0) == sizeof event);
    CHECK (zmq_recv (mon, &n, sizeof n, 0) == sizeof n);
    CHECK (n <= max);
    for (uint64_t i = 0; i < n; i++)
        CHECK (zmq_recv (mon, &values[i], sizeof values[i], 0) == sizeof values[i]);
    char addr[256];
    CHECK (zmq_recv (mon, addr, sizeof addr, 0) >= 0);
    CHECK (zmq_recv (mon, addr, sizeof addr, 0) >= 0);
    *count = (size_t) n;
    return event;
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = CHECK_PTR (zmq_ctx_new ());
    void *push = SOCKET (ctx, ZMQ_PUSH);
    void *pull = SOCKET (ctx, ZMQ_PULL);

    CHECK_ERR (zmq_socket_monitor_pipes_stats (push), EINVAL);
    CHECK_RC (zmq_socket_monitor_versioned (push, "inproc://stats", ZMQ_EVENT_PIPES_STATS, 2, ZMQ_PAIR));
    void *mon = SOCKET (ctx, ZMQ_PAIR);
    CHECK_RC (zmq_connect (mon, "inproc://stats"));
    /*  No pipes yet. */
    CHECK_ERR (zmq_socket_monitor_pipes_stats (push), EAGAIN);
    /*  Version 1 cannot carry events past the first 16 bits. */
    CHECK_ERR (zmq_socket_monitor_versioned (pull, "inproc://x", ZMQ_EVENT_PIPES_STATS, 1, ZMQ_PAIR), EINVAL);

    CHECK_RC (zmq_bind (pull, "inproc://data"));
    CHECK_RC (zmq_connect (push, "inproc://data"));
    for (int i = 0; i < 3; i++)
        SEND_STR (push, "queued", 0);
    CHECK_RC (zmq_socket_monitor_pipes_stats (push));

    uint64_t values[4];
    size_t n;
    CHECK (recv_event_v2 (mon, values, 4, &n) == ZMQ_EVENT_PIPES_STATS);
    CHECK (n == 2);
    CHECK (values[0] == 3); /* three messages waiting towards the PULL */
    CHECK (values[1] == 0); /* nothing coming back */

    CHECK_RC (zmq_close (mon));
    CHECK_RC (zmq_close (push));
    CHECK_RC (zmq_close (pull));
    CHECK_RC (zmq_ctx_term (ctx));
    return 0;
}
