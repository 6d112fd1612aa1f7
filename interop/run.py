#!/usr/bin/env python3
"""Interoperability with the real libzmq over the network.

Every scenario runs in separate processes, once with this library ("ours") on
the first side and the real libzmq on the other, and once the other way round;
where the sides are not symmetric each side also binds in turn.  Transports:
tcp on 127.0.0.1 and [::1] (ZMQ_IPV6, where available), ipc on a file path and
in the abstract namespace, ws (WebSocket, ZWS 2.0) on 127.0.0.1.

usage: interop/run.py [--lib DIR] [--filter SUBSTR]... [--peer PATH] [-v]

  --lib DIR        directory holding this library's libzmq.so(.5)
                   (default: target/release)
  --filter SUBSTR  only the cases whose name contains SUBSTR (repeatable)
  --peer PATH      an already built peer program (default: build interop/peer.c)
  --list           print the case names only
  --budget SECONDS cases not started within this time fail as not run
                   (default 600: a library that times out everywhere still
                   ends the run in bounded time)
  -v               print every peer's output, not only for failures

Prints one line per case and finally "N passed, N failed[, N skipped]"; the
exit status is non-zero when a case failed.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, CaseFailed, Peer, Tally, Workspace, ipv6_available  # noqa: E402

LIBS = ("ours", "libzmq")
DEFAULT_EXTRA = ["--max-time", "40"]


class Transport:
    def __init__(self, name, kind, ipv6=False):
        self.name, self.kind, self.ipv6 = name, kind, ipv6

    def bind_endpoint(self, ws):
        if self.kind == "tcp":
            return "tcp://[::1]:*" if self.ipv6 else "tcp://127.0.0.1:*"
        if self.kind == "ipc":
            return "ipc://%s/%s.sock" % (ws.dir, ws.unique("s"))
        if self.kind == "ws":
            return "ws://127.0.0.1:*/interop"
        return "ipc://@%s" % ws.unique("zmq-interop")

    def extra(self):
        return ["--ipv6"] if self.ipv6 else []

    def family(self):
        return "tcp" if self.kind in ("tcp", "ws") else "ipc"


TRANSPORTS = [
    Transport("tcp", "tcp"),
    Transport("tcp6", "tcp", ipv6=True),
    Transport("ipc", "ipc"),
    Transport("ipc-abstract", "abstract"),
    # libzmq 4.3.4 has ws (its zmq_has says no: that answer needs the draft API).
    Transport("ws", "ws"),
]


def spawn(peers, ws, lib, args, label):
    p = Peer(ws, lib, args + DEFAULT_EXTRA, label)
    peers.append(p)
    return p


# --------------------------------------------------------- group scenarios

class Part:
    """One participant: role, socket type, options, and whether it runs until
    its stdin is closed (the servers and publishers)."""

    def __init__(self, role, stype, opts=(), endless=False):
        self.role, self.stype, self.opts, self.endless = role, stype, list(opts), endless


def group_case(peers, ws, tr, single, others, single_binds, lib_single, lib_others,
               check=None):
    """single talks with each of others; either single binds and the others
    connect to it, or each of the others binds and single connects to all."""
    procs = {}
    binders = [single] if single_binds else others
    connecters = others if single_binds else [single]
    endpoints = []
    for i, part in enumerate(binders):
        lib = lib_single if part is single else lib_others
        p = spawn(peers, ws, lib, [part.role, part.stype, "bind", tr.bind_endpoint(ws)]
                  + part.opts + tr.extra(), "%s#%d" % (part.stype, i))
        procs[id(part)] = p
    for part in binders:
        endpoints += procs[id(part)].start_info()
    for i, part in enumerate(connecters):
        lib = lib_single if part is single else lib_others
        p = spawn(peers, ws, lib, [part.role, part.stype, "connect", ",".join(endpoints)]
                  + part.opts + tr.extra(), "%s#%d" % (part.stype, i))
        procs[id(part)] = p
    everyone = [single] + others
    for part in everyone:
        if not part.endless:
            procs[id(part)].finish(timeout=25)
    for part in everyone:
        if part.endless:
            procs[id(part)].close_stdin()
            procs[id(part)].finish(timeout=15)
    if check:
        check(procs[id(single)], [procs[id(o)] for o in others])


def check_pullers(pusher, pullers):
    got = []
    for p in pullers:
        mine = [ln[4:] for ln in p.lines if ln.startswith("MSG ")]
        if not mine:
            raise CaseFailed("%s received nothing: no load balancing" % p.label)
        got += mine
    want = ["p:%d" % i for i in range(30)]
    if sorted(got) != sorted(want):
        raise CaseFailed("pullers together received %d messages, not each of %d once"
                         % (len(got), len(want)))


def pattern_scenarios():
    """(name, single, others, check) with fresh Part objects per call."""
    yield ("pair", Part("echo-server", "PAIR", endless=True), [Part("client", "PAIR")], None)
    yield ("req-rep", Part("echo-server", "REP", endless=True), [Part("client", "REQ")], None)
    yield ("dealer-rep", Part("echo-server", "REP", endless=True),
           [Part("client", "DEALER", ["--envelope"])], None)
    yield ("req-router", Part("echo-server", "ROUTER", endless=True),
           [Part("client", "REQ")], None)
    yield ("dealer-router", Part("echo-server", "ROUTER", ["--expect-ids", "dealer-1"],
                                 endless=True),
           [Part("client", "DEALER", ["--id", "dealer-1"])], None)
    yield ("router-dealers-ids",
           Part("router-server", "ROUTER", ["--peers", "2", "--expect-ids", "dealer-a,dealer-b"]),
           [Part("hello", "DEALER", ["--id", "dealer-a", "--name", "a"]),
            Part("hello", "DEALER", ["--id", "dealer-b", "--name", "b"])], None)
    yield ("router-dealers-generated",
           Part("router-server", "ROUTER", ["--peers", "2", "--generated-ids"]),
           [Part("hello", "DEALER", ["--name", "a"]), Part("hello", "DEALER", ["--name", "b"])],
           None)
    for pub in ("PUB", "XPUB"):
        for sub in ("SUB", "XSUB"):
            role = "pub" if pub == "PUB" else "xpub"
            yield ("%s-%s" % (pub.lower(), sub.lower()), Part(role, pub, endless=True),
                   [Part("sub", sub)], None)
    yield ("push-pull-3-pushers", Part("pull", "PULL", ["--peers", "3", "--count", "20"]),
           [Part("push", "PUSH", ["--count", "20", "--name", "p%d" % i]) for i in range(3)], None)
    yield ("push-pull-3-pullers", Part("push", "PUSH", ["--peers", "3", "--count", "30",
                                                        "--name", "p"]),
           [Part("pull", "PULL", ["--idle", "400"]) for _ in range(3)], check_pullers)
    yield ("pair-16MiB", Part("echo-server", "PAIR", endless=True),
           [Part("client", "PAIR", ["--big", "--timeout", "15000"])], None)


def describe(part, lib, count, binds):
    n = "%dx" % count if count > 1 else ""
    return "%s%s@%s %s" % (n, part.stype, lib, "binds" if binds else "connects")


def group_cases(ws):
    for tr in TRANSPORTS:
        for name, single, others, check in pattern_scenarios():
            for single_binds in (True, False):
                for lib_single, lib_others in (("ours", "libzmq"), ("libzmq", "ours")):
                    if tr.kind == "ws" and name == "push-pull-3-pullers" and lib_single == "libzmq":
                        # libzmq 4.3.4 reports HANDSHAKE_SUCCEEDED twice per ws
                        # connection (after the upgrade and after READY): its PUSH
                        # would count peers that are not there.
                        continue
                    label = "%s %s: %s, %s" % (
                        name, tr.name, describe(single, lib_single, 1, single_binds),
                        describe(others[0], lib_others, len(others), not single_binds))
                    yield (label, tr, group_case,
                           (ws, tr, single, others, single_binds, lib_single, lib_others, check))


# ------------------------------------------------------------ reconnection

def reconnect_dealer(peers, ws, tr, lib_long, lib_killed):
    ident = ["--expect-ids", "reconnecting-dealer"]
    srv = spawn(peers, ws, lib_killed, ["echo-server", "ROUTER", "bind", tr.bind_endpoint(ws)]
                + ident + tr.extra(), "ROUTER")
    ep = srv.start_info()[0]
    cli = spawn(peers, ws, lib_long, ["client", "DEALER", "connect", ep, "--id",
                                      "reconnecting-dealer", "--pause-after", "1"]
                + tr.extra(), "DEALER")
    cli.expect("PAUSE")
    srv.kill()
    srv2 = spawn(peers, ws, lib_killed, ["echo-server", "ROUTER", "bind", ep] + ident
                 + tr.extra(), "ROUTER-restarted")
    srv2.start_info()
    # The client learns of the old connection's end from the kernel; leave
    # it a moment so "sent after the restart" means after it knows.
    time.sleep(0.1)
    cli.send_line("go")
    cli.finish(timeout=20)
    srv2.close_stdin()
    srv2.finish()


def reconnect_sub(peers, ws, tr, lib_long, lib_killed):
    pub = spawn(peers, ws, lib_killed, ["pub", "PUB", "bind", tr.bind_endpoint(ws), "--tag", "1"]
                + tr.extra(), "PUB")
    ep = pub.start_info()[0]
    sub = spawn(peers, ws, lib_long, ["sub", "SUB", "connect", ep, "--reconnect"]
                + tr.extra(), "SUB")
    sub.expect("PHASE1")
    pub.kill()
    pub2 = spawn(peers, ws, lib_killed, ["pub", "PUB", "bind", ep, "--tag", "2"] + tr.extra(),
                 "PUB-restarted")
    pub2.start_info()
    sub.send_line("go")
    sub.finish(timeout=20)
    pub2.close_stdin()
    pub2.finish()


def reconnect_cases(ws):
    for tr in TRANSPORTS:
        for lib_long, lib_killed in (("ours", "libzmq"), ("libzmq", "ours")):
            yield ("reconnect-dealer %s: DEALER@%s connects, ROUTER@%s binds, killed, restarted"
                   % (tr.name, lib_long, lib_killed), tr, reconnect_dealer,
                   (ws, tr, lib_long, lib_killed))
            yield ("reconnect-sub %s: SUB@%s connects, PUB@%s binds, killed, restarted"
                   % (tr.name, lib_long, lib_killed), tr, reconnect_sub,
                   (ws, tr, lib_long, lib_killed))


# -------------------------------------------------------------- heartbeats

HB_IVL, HB_TIMEOUT = 100, 500


def heartbeat(peers, ws, tr, lib_hb, lib_other, hb_binds):
    hb_args = ["--hb-ivl", str(HB_IVL), "--hb-timeout", str(HB_TIMEOUT), "--idle", "1200",
               "--timeout", "4000"] + tr.extra()
    if hb_binds:
        hb = spawn(peers, ws, lib_hb, ["hb", "DEALER", "bind", tr.bind_endpoint(ws)] + hb_args,
                   "DEALER+heartbeat")
        ep = hb.start_info()[0]
        other = spawn(peers, ws, lib_other, ["echo-server", "ROUTER", "connect", ep]
                      + tr.extra(), "ROUTER")
    else:
        other = spawn(peers, ws, lib_other, ["echo-server", "ROUTER", "bind",
                                             tr.bind_endpoint(ws)] + tr.extra(), "ROUTER")
        ep = other.start_info()[0]
        hb = spawn(peers, ws, lib_hb, ["hb", "DEALER", "connect", ep] + hb_args,
                   "DEALER+heartbeat")
    hb.expect("HB-READY", 15)
    other.signal(signal.SIGSTOP)
    hb.send_line("stopped")
    hb.finish(timeout=15)
    other.kill()


def heartbeat_cases(ws):
    for tr in TRANSPORTS:
        if tr.name not in ("tcp", "ipc", "ws"):
            continue
        for lib_hb, lib_other in (("ours", "libzmq"), ("libzmq", "ours")):
            for hb_binds in (True, False):
                yield ("heartbeat %s: DEALER@%s with heartbeats %s, ROUTER@%s %s, then stopped"
                       % (tr.name, lib_hb, "binds" if hb_binds else "connects", lib_other,
                          "connects" if hb_binds else "binds"),
                       tr, heartbeat, (ws, tr, lib_hb, lib_other, hb_binds))


# ------------------------------------------------- STREAM and plain sockets

STREAM_GREETING = b"hello from stream\n"
STREAM_SIZE = 100000


def plain_address(tr, endpoint):
    """(family, address) of a zmq endpoint, for the socket module."""
    scheme, rest = endpoint.split("://", 1)
    if scheme == "tcp":
        host, port = rest.rsplit(":", 1)
        if host.startswith("["):
            return socket.AF_INET6, (host[1:-1], int(port))
        return socket.AF_INET, (host, int(port))
    if rest.startswith("@"):
        return socket.AF_UNIX, "\0" + rest[1:]
    return socket.AF_UNIX, rest


def stream_case(peers, ws, tr, lib, stream_binds, stream_closes):
    opts = ["--size", str(STREAM_SIZE)] + (["--close-first"] if stream_closes else [])
    listener = None
    try:
        if stream_binds:
            st = spawn(peers, ws, lib, ["stream", "STREAM", "bind", tr.bind_endpoint(ws)]
                       + opts + tr.extra(), "STREAM")
            fam, addr = plain_address(tr, st.start_info()[0])
            conn = socket.socket(fam, socket.SOCK_STREAM)
            conn.settimeout(10)
            conn.connect(addr)
        else:
            if tr.kind == "tcp":
                fam = socket.AF_INET6 if tr.ipv6 else socket.AF_INET
                listener = socket.socket(fam, socket.SOCK_STREAM)
                listener.bind(("::1" if tr.ipv6 else "127.0.0.1", 0))
                port = listener.getsockname()[1]
                ep = "tcp://[::1]:%d" % port if tr.ipv6 else "tcp://127.0.0.1:%d" % port
            else:
                ep = tr.bind_endpoint(ws)
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                listener.bind(plain_address(tr, ep)[1])
            listener.listen(1)
            listener.settimeout(10)
            st = spawn(peers, ws, lib, ["stream", "STREAM", "connect", ep] + opts + tr.extra(),
                       "STREAM")
            st.start_info()
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                raise CaseFailed("the STREAM socket never connected")
            conn.settimeout(10)
        with conn:
            data = b""
            try:
                while not data.endswith(b"\n"):
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except socket.timeout:
                raise CaseFailed("no greeting from the STREAM socket")
            if data != STREAM_GREETING:
                raise CaseFailed("plain peer received %r" % data[:80])
            blob = bytes(j % 251 for j in range(STREAM_SIZE))
            conn.sendall(b"echo:" + STREAM_GREETING + blob)
            if stream_closes:
                try:
                    rest = conn.recv(4096)
                except socket.timeout:
                    raise CaseFailed("the STREAM socket did not close the connection")
                if rest:
                    raise CaseFailed("unexpected bytes %r instead of the close" % rest[:40])
            else:
                conn.shutdown(socket.SHUT_RDWR)
        st.finish(timeout=20)
    finally:
        if listener:
            listener.close()


def stream_cases(ws):
    for tr in TRANSPORTS:
        if tr.kind == "ws":
            continue  # STREAM speaks raw tcp, not ZWS
        for lib in LIBS:
            for stream_binds in (True, False):
                for stream_closes in (False, True):
                    yield ("stream %s: STREAM@%s %s, plain socket %s, %s closes"
                           % (tr.name, lib, "binds" if stream_binds else "connects",
                              "connects" if stream_binds else "listens",
                              "STREAM" if stream_closes else "plain peer"),
                           tr, stream_case, (ws, tr, lib, stream_binds, stream_closes))


# ---------------------------------------------------------------- security

def keypair(ws):
    """A CURVE key pair made by the real libzmq (public, secret)."""
    env = dict(os.environ, LD_LIBRARY_PATH=ws.libs["libzmq"])
    r = subprocess.run([ws.peer, "keygen"], env=env, capture_output=True, timeout=20)
    lines = r.stdout.decode().split("\n")
    if r.returncode != 0 or len(lines) < 2 or len(lines[0]) != 40:
        raise RuntimeError("keygen failed: %r" % r.stdout)
    return lines[0], lines[1]


def security_scenarios(keys):
    """(name, single, others, check): PLAIN and CURVE with a ZAP handler on the
    server's side; good credentials deliver everything (multipart, 16 MiB, many
    messages, subscriptions), bad ones nothing, and the refused client stops."""
    (spub, ssec), (cpub, csec), (opub, osec) = keys
    zap_curve = ["--zap-domain", "interop", "--zap-allow", "curve=" + cpub]
    zap_plain = ["--zap-domain", "interop", "--zap-allow", "plain:admin:secret"]
    server = ["--curve-server", ssec] + zap_curve
    client = ["--curve-serverkey", spub, "--curve-public", cpub, "--curve-secret", csec]
    stranger = ["--curve-serverkey", spub, "--curve-public", opub, "--curve-secret", osec]
    yield ("curve-req-rep-16MiB", Part("echo-server", "REP", server, endless=True),
           [Part("client", "REQ", client + ["--big", "--timeout", "20000"])], None)
    yield ("curve-dealer-router", Part("echo-server", "ROUTER", server, endless=True),
           [Part("client", "DEALER", client)], None)
    yield ("curve-push-pull-20000", Part("pull", "PULL", server + ["--count", "20000",
                                                                    "--timeout", "20000"]),
           [Part("push", "PUSH", client + ["--count", "20000", "--name", "p"])], None)
    yield ("curve-pub-sub", Part("pub", "PUB", server, endless=True),
           [Part("sub", "SUB", client)], None)
    yield ("curve-refused", Part("silent", "DEALER", server, endless=True),
           [Part("refused", "DEALER", stranger + ["--monitor", "--idle", "1500"])], None)
    yield ("plain-req-rep", Part("echo-server", "REP", ["--plain-server"] + zap_plain,
                                 endless=True),
           [Part("client", "REQ", ["--plain-user", "admin", "--plain-pass", "secret"])], None)
    yield ("plain-refused", Part("silent", "DEALER", ["--plain-server"] + zap_plain,
                                 endless=True),
           [Part("refused", "DEALER", ["--plain-user", "admin", "--plain-pass", "guess",
                                       "--monitor", "--idle", "1500", "--any-failure"])],
           None)


def security_cases(ws):
    keys = [keypair(ws) for _ in range(3)]
    tr = TRANSPORTS[0]
    for name, single, others, check in security_scenarios(keys):
        for single_binds in (True, False):
            for lib_single, lib_others in (("ours", "libzmq"), ("libzmq", "ours")):
                label = "%s %s: %s, %s" % (
                    name, tr.name, describe(single, lib_single, 1, single_binds),
                    describe(others[0], lib_others, len(others), not single_binds))
                yield (label, tr, group_case,
                       (ws, tr, single, others, single_binds, lib_single, lib_others, check))


# -------------------------------------------------------------------- main

def probe(ws, lib, transport):
    env = dict(os.environ, LD_LIBRARY_PATH=ws.libs[lib])
    try:
        r = subprocess.run([ws.peer, "probe", transport], env=env, capture_output=True,
                           timeout=20)
    except subprocess.TimeoutExpired:
        return "the %s probe hung" % transport
    if r.returncode == 0:
        return None
    if r.returncode == 77:
        return "%s not available in this library" % transport
    return "the %s probe failed (status %d): %s" % (transport, r.returncode,
                                                    r.stdout.decode(errors="replace").strip())


def main():
    ap = argparse.ArgumentParser(description="interop tests against the real libzmq")
    ap.add_argument("--lib", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--filter", action="append", default=[])
    ap.add_argument("--peer")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--budget", type=float, default=600)
    ap.add_argument("-v", action="store_true", dest="verbose")
    args = ap.parse_args()

    ws = Workspace(args.lib, args.peer)
    try:
        cases = []
        for gen in (group_cases, reconnect_cases, heartbeat_cases, stream_cases,
                    security_cases):
            cases += list(gen(ws))
        if args.filter:
            cases = [c for c in cases if any(f in c[0] for f in args.filter)]
        if args.list:
            for c in cases:
                print(c[0])
            return 0
        missing = {}
        for lib in LIBS:
            for fam in ("tcp", "ipc"):
                why = probe(ws, lib, fam)
                if why:
                    missing[fam] = "%s: %s" % (lib, why)
        v6 = ipv6_available()
        tally = Tally(args.verbose)
        t0 = time.monotonic()
        for name, tr, fn, fargs in cases:
            if time.monotonic() - t0 > args.budget:
                tally.failed += 1
                print("FAIL %s: not run, the time budget of %.0f s is spent" % (name, args.budget))
            elif tr.family() in missing:
                tally.fail(name, missing[tr.family()])
            elif tr.ipv6 and not v6:
                tally.skip(name, "no IPv6 loopback on this machine")
            else:
                tally.run(name, fn, *fargs)
        print("interop: %d cases in %.0f s" % (len(cases), time.monotonic() - t0))
        return tally.summary()
    finally:
        ws.cleanup()


if __name__ == "__main__":
    sys.exit(main())
