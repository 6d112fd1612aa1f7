#!/usr/bin/env python3
"""A small SOCKS5 proxy for tests (RFC 1928 CONNECT; RFC 1929 username and
password), python3 stdlib only.

    socks5_proxy.py [--host 127.0.0.1] [--port 0] [--user U --password P]
                    [--max-time 60]

Without --user it accepts "no authentication" only; with it, username and
password only. It logs what it does on stdout, one flushed line each:

    PORT <port>                         listening (first line)
    ACCEPT <client address>
    METHODS <m1,m2,...>                 the methods the client offered
    METHOD <m>                          the one chosen (255: none acceptable)
    AUTH-OK <user> | AUTH-FAIL <user>
    CONNECT <ipv4|ipv6|domain> <host> <port>
    CONNECTED <host> <port>             the target answered; relaying
    CONNECT-FAIL <reply code> <reason>
    BAD <what>                          a malformed client message
    CLOSED <client address> <octets to target> <octets from target>

It stops at the end of its standard input (so it dies with the test that
started it) or after --max-time seconds.
"""

import argparse
import os
import socket
import struct
import sys
import threading
import time

LOCK = threading.Lock()


def log(*words):
    with LOCK:
        sys.stdout.write(" ".join(str(w) for w in words) + "\n")
        sys.stdout.flush()


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("client closed")
        data += chunk
    return data


def reply(s, code, bound=("0.0.0.0", 0)):
    host, port = bound[0], bound[1]
    try:
        addr = socket.inet_pton(socket.AF_INET, host)
        atyp = 1
    except OSError:
        addr = socket.inet_pton(socket.AF_INET6, host)
        atyp = 4
    s.sendall(bytes([5, code, 0, atyp]) + addr + struct.pack(">H", port))


def pump(src, dst, counter, index):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
            counter[index] += len(data)
    except OSError:
        pass
    for s in (dst, src):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client, peer, args):
    name = "%s:%d" % (peer[0], peer[1])
    log("ACCEPT", name)
    target = None
    counter = [0, 0]
    try:
        client.settimeout(10)
        ver, n = recv_exact(client, 2)
        if ver != 5:
            log("BAD version", ver)
            return
        methods = list(recv_exact(client, n))
        log("METHODS", ",".join(str(m) for m in methods))
        want = 2 if args.user is not None else 0
        chosen = want if want in methods else 255
        log("METHOD", chosen)
        client.sendall(bytes([5, chosen]))
        if chosen == 255:
            return
        if chosen == 2:
            ver, ulen = recv_exact(client, 2)
            user = recv_exact(client, ulen)
            plen = recv_exact(client, 1)[0]
            password = recv_exact(client, plen)
            if ver != 1:
                log("BAD auth version", ver)
                return
            ok = user == args.user.encode() and password == args.password.encode()
            log("AUTH-OK" if ok else "AUTH-FAIL", user.decode("utf-8", "replace"))
            client.sendall(bytes([1, 0 if ok else 1]))
            if not ok:
                return
        ver, cmd, rsv, atyp = recv_exact(client, 4)
        if ver != 5 or cmd != 1 or rsv != 0:
            log("BAD request", ver, cmd, rsv)
            reply(client, 7)
            return
        if atyp == 1:
            host = socket.inet_ntop(socket.AF_INET, recv_exact(client, 4))
            kind = "ipv4"
        elif atyp == 4:
            host = socket.inet_ntop(socket.AF_INET6, recv_exact(client, 16))
            kind = "ipv6"
        elif atyp == 3:
            host = recv_exact(client, recv_exact(client, 1)[0]).decode("utf-8", "replace")
            kind = "domain"
        else:
            log("BAD address type", atyp)
            reply(client, 8)
            return
        port = struct.unpack(">H", recv_exact(client, 2))[0]
        log("CONNECT", kind, host, port)
        try:
            target = socket.create_connection((host, port), timeout=5)
        except ConnectionRefusedError:
            log("CONNECT-FAIL 5 connection refused")
            reply(client, 5)
            return
        except OSError as e:
            log("CONNECT-FAIL 4", e)
            reply(client, 4)
            return
        log("CONNECTED", host, port)
        reply(client, 0, target.getsockname())
        client.settimeout(None)
        target.settimeout(None)
        back = threading.Thread(target=pump, args=(target, client, counter, 1), daemon=True)
        back.start()
        pump(client, target, counter, 0)
        back.join()
    except (EOFError, OSError) as e:
        log("BAD", "client:", e)
    finally:
        log("CLOSED", name, counter[0], counter[1])
        for s in (client, target):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass


def main():
    ap = argparse.ArgumentParser(description="a small SOCKS5 proxy for tests")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--user")
    ap.add_argument("--password", default="")
    ap.add_argument("--max-time", type=float, default=60)
    args = ap.parse_args()

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.host, args.port))
    listener.listen(64)
    log("PORT", listener.getsockname()[1])

    def accept_loop():
        while True:
            try:
                client, peer = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(client, peer, args), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()

    # Ends with its standard input, or after --max-time.
    def watch_stdin():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    time.sleep(args.max_time)
    log("TIMEOUT")
    os._exit(0)


if __name__ == "__main__":
    main()
