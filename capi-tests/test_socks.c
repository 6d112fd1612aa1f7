/*  ZMQ_SOCKS_PROXY: a REQ socket's connection goes through a SOCKS5 proxy
    (tests/socks/socks5_proxy.py, started by the test), which logs what it
    accepted; the test checks the request and reply travelled and that the
    proxy saw the CONNECT: by IPv4 address, by domain name, by IPv6 address,
    and with ZMQ_SOCKS_USERNAME / ZMQ_SOCKS_PASSWORD. (Refused credentials:
    test_socks_refused.) */
#define ZMQ_BUILD_DRAFT_API 1
#include "testutil.h"
#include "socks_proxy.h"

int main (void)
{
    TEST_TIMEOUT (45);
    static const struct route by_ipv4 = {"tcp://127.0.0.1:*",
                                         "tcp://127.0.0.1:%d",
                                         "CONNECT ipv4 127.0.0.1 %d",
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL,
                                         1};
    static const struct route by_name = {"tcp://127.0.0.1:*",
                                         "tcp://localhost:%d",
                                         "CONNECT domain localhost %d",
                                         NULL,
                                         NULL,
                                         NULL,
                                         NULL,
                                         1};
    static const struct route by_ipv6 = {
      "tcp://[::1]:*", "tcp://[::1]:%d", "CONNECT ipv6 ::1 %d", NULL, NULL, NULL,
      NULL,            1};
    static const struct route with_auth = {"tcp://127.0.0.1:*",
                                           "tcp://127.0.0.1:%d",
                                           "CONNECT ipv4 127.0.0.1 %d",
                                           "zmq",
                                           "secret",
                                           "zmq",
                                           "secret",
                                           1};
    const struct isolated_case cases[] = {
      {"through the proxy to an IPv4 address", through_proxy,
       (void *) &by_ipv4},
      {"through the proxy to a domain name", through_proxy, (void *) &by_name},
      {"through the proxy to an IPv6 address", through_proxy,
       (void *) &by_ipv6},
      {"through the proxy with username and password", through_proxy,
       (void *) &with_auth},
    };
    return run_isolated_cases (cases, (int) (sizeof cases / sizeof cases[0]),
                               30)
             ? 1
             : 0;
}
