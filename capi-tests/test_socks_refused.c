// libzmq: skip libzmq 4.3.4 aborts (Bad file descriptor, src/epoll.cpp:113) when a socket whose SOCKS proxy refused it closes
/*  A SOCKS5 proxy that turns the client away delivers nothing: a wrong
    ZMQ_SOCKS_PASSWORD, or no credentials for a proxy that wants them. The
    proxy (tests/socks/socks5_proxy.py) logs the refusal and never connects
    to the target; the socket keeps retrying and closes cleanly. */
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"
#include "socks_proxy.h"

int main (void)
{
    TEST_TIMEOUT (45);
    static const struct route wrong_password = {"tcp://127.0.0.1:*",
                                                "tcp://127.0.0.1:%d",
                                                "AUTH-FAIL zmq",
                                                "zmq",
                                                "secret",
                                                "zmq",
                                                "wrong",
                                                0};
    static const struct route no_credentials = {"tcp://127.0.0.1:*",
                                                 "tcp://127.0.0.1:%d",
                                                 "METHOD 255",
                                                 "zmq",
                                                 "secret",
                                                 NULL,
                                                 NULL,
                                                 0};
    const struct isolated_case cases[] = {
      {"a wrong password delivers nothing", through_proxy,
       (void *) &wrong_password},
      {"no credentials for a proxy that wants them delivers nothing",
       through_proxy, (void *) &no_credentials},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               30)
             ? 1
             : 0;
}
