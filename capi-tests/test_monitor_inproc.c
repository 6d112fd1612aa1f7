/*  The socket monitor over inproc: libzmq accepts only inproc monitor endpoints,
    emits no connection events for inproc peers, and reports MONITOR_STOPPED when
    the monitored socket closes or monitoring is switched off. */
#include "testutil.h"

/*  Receives one v1 event; returns its id and checks the second frame is empty. */
static uint16_t recv_event (void *mon, uint32_t *value)
{
    zmq_msg_t head, addr;
    CHECK (zmq_msg_init (&head) == 0 && zmq_msg_init (&addr) == 0);
    CHECK (zmq_msg_recv (&head, mon, 0) == 6);
    CHECK (zmq_msg_more (&head));
    CHECK (zmq_msg_recv (&addr, mon, 0) >= 0);
    CHECK (!zmq_msg_more (&addr));
    uint16_t event;
    memcpy (&event, zmq_msg_data (&head), 2);
    memcpy (value, (char *) zmq_msg_data (&head) + 2, 4);
    zmq_msg_close (&head);
    zmq_msg_close (&addr);
    return event;
}

int main (void)
{
    TEST_TIMEOUT (30);
    void *ctx = zmq_ctx_new ();
    CHECK (ctx);
    void *s = zmq_socket (ctx, ZMQ_DEALER);
    CHECK (s);

    /*  Only inproc endpoints can publish events. */
    CHECK (zmq_socket_monitor (s, "tcp://127.0.0.1:5560", ZMQ_EVENT_ALL) == -1);
    CHECK (zmq_errno () == EPROTONOSUPPORT);
    CHECK (zmq_socket_monitor (s, "bogus", ZMQ_EVENT_ALL) == -1);
    CHECK (zmq_errno () == EINVAL);
    CHECK (zmq_socket_monitor (NULL, "inproc://m", ZMQ_EVENT_ALL) == -1);
    CHECK (zmq_errno () == ENOTSOCK);

    /*  Switching monitoring off reports MONITOR_STOPPED. */
    CHECK (zmq_socket_monitor (s, "inproc://monitor-1", ZMQ_EVENT_ALL) == 0);
    void *mon = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (mon);
    CHECK (zmq_connect (mon, "inproc://monitor-1") == 0);
    CHECK (zmq_bind (s, "inproc://monitored") == 0);
    CHECK (zmq_socket_monitor (s, NULL, 0) == 0);
    uint32_t value = 99;
    CHECK (recv_event (mon, &value) == ZMQ_EVENT_MONITOR_STOPPED);
    CHECK (value == 0);
    CHECK (zmq_close (mon) == 0);

    /*  Closing the monitored socket reports MONITOR_STOPPED too. */
    CHECK (zmq_socket_monitor (s, "inproc://monitor-2", ZMQ_EVENT_ALL) == 0);
    mon = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (mon);
    CHECK (zmq_connect (mon, "inproc://monitor-2") == 0);
    CHECK (zmq_close (s) == 0);
    CHECK (recv_event (mon, &value) == ZMQ_EVENT_MONITOR_STOPPED);

    /*  Events not asked for are not sent. */
    s = zmq_socket (ctx, ZMQ_PULL);
    CHECK (zmq_socket_monitor (s, "inproc://monitor-3", ZMQ_EVENT_CONNECTED) == 0);
    void *mon3 = zmq_socket (ctx, ZMQ_PAIR);
    CHECK (zmq_connect (mon3, "inproc://monitor-3") == 0);
    CHECK (zmq_close (s) == 0);
    char buf[16];
    int timeout = 100;
    CHECK (zmq_setsockopt (mon3, ZMQ_RCVTIMEO, &timeout, sizeof timeout) == 0);
    CHECK (zmq_recv (mon3, buf, sizeof buf, 0) == -1);
    CHECK (zmq_errno () == EAGAIN);

    CHECK (zmq_close (mon) == 0);
    CHECK (zmq_close (mon3) == 0);
    CHECK (zmq_ctx_term (ctx) == 0);
    return 0;
}
