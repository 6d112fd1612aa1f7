#!/usr/bin/env python3
"""Hostile and broken peers on raw sockets against a library's bound tcp
socket: each costs bounded time and memory, and never the process.

The target is interop/attack_target.c (a ROUTER echoing every message, its
monitor printed) on the library under test; every case starts a fresh one,
attacks it, and then asserts that

  * the process is still running;
  * its resident memory (VmRSS in /proc/PID/status) stays within
    RSS_SLACK_MIB of what it used once started and serving one peer: the
    attacks send a few tens of MiB in all, so a library that keeps something
    per attack step (a PONG per PING, a buffer per claimed frame size, a
    property table that is copied per property) exceeds it, while kernel
    socket buffers (not part of RSS) and the allocator's slack stay well
    below it;
  * a well-behaved ZMTP 3.1 peer is still served (handshake and an echo).

Cases, with what libzmq 4.3 does (the expectations were checked against it):

  storm          600 connections that send a greeting, a part of one, or a
                 greeting and READY, and close (half of them with a reset);
                 the target's sockets in /proc/PID/fd return to their number
                 before the storm.
  legacy:*       peers that stop after a 1-byte greeting, a ZMTP 1.0/2.0
                 prefix, a whole ZMTP 3 greeting, or say nothing: closed
                 after ZMQ_HANDSHAKE_IVL (500 ms here) with
                 HANDSHAKE_FAILED_NO_DETAIL, as libzmq 4.3.4 does.
  ping flood     a peer that completes the handshake, then sends PINGs and
                 never reads: one pending PONG per connection at most, so
                 memory stays flat (growth under PING_GROWTH_MIB).
  frame size:*   a frame whose claimed size exceeds ZMQ_MAXMSGSIZE, or can
                 never be satisfied (2^62, 2^63-1 octets): the connection is
                 closed at once (no body is ever sent).
  ready 100k     a READY command with 100,000 properties: a good peer that
                 comes once it is sent is served within PROMPT_S (the I/O
                 thread does not stall on it; libzmq takes well under a
                 second).
  emfile         the target runs with RLIMIT_NOFILE 64; 100 idle connections
                 exhaust its fds, a good peer connects and waits in the
                 backlog, the idle ones close: the good peer is served
                 without any further connection arriving.

usage: interop/wire_attack.py [--lib DIR] [--libs ours[,libzmq]]
                              [--filter SUBSTR]... [--list] [-v]

--lib names the directory holding this library (default target/release);
--libs chooses the libraries to attack (default: ours; libzmq runs the same
cases on the system's real libzmq, which is how the expectations are
checked). Prints one line per case and library and finally
"N passed, N failed"; with both libraries, a table of the cases whose
results differ.
"""

import argparse
import os
import queue
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import HERE, ROOT, CaseFailed, Peer, Tally, Workspace  # noqa: E402
from mock_peers import command, frame, greeting3, prop, signature  # noqa: E402

RSS_SLACK_MIB = 64
PING_GROWTH_MIB = 32
HANDSHAKE_IVL_MS = 500
# Generous bounds on what must happen "at once" or "meanwhile": a case
# waits at most this long before declaring the library stuck.
PROMPT_S = 5.0
SERVED_S = 10.0


def ready(socket_type, extra=b""):
    return command(b"READY", prop(b"Socket-Type", socket_type) + extra)


def long_command(name, data):
    """A command in the 8-octet size form, whatever its size."""
    body = bytes([len(name)]) + name + data
    return b"\x06" + struct.pack(">Q", len(body)) + body


# ------------------------------------------------------------- the target


class Target(Peer):
    """attack_target on one library, with its pid and port."""

    def __init__(self, ws, lib, binary, args):
        self.label = "attack_target[%s]" % lib
        self.args = args
        env = dict(os.environ, LD_LIBRARY_PATH=ws.libs[lib])
        self.proc = subprocess.Popen([binary] + args + ["--max-time", "60"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, cwd=ws.dir)
        self.lines = []
        self.queue = queue.Queue()
        self.queue_events = True
        self.event_count = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.pid = int(self.expect("PID ")[4:])
        self.port = int(self.expect("ENDPOINT ").rsplit(":", 1)[1])
        self.expect("READY")

    def _read(self):
        # A library that reports a failed accept per attempt may print a
        # great many events: only the last lines are kept for the report.
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if len(self.lines) > 2000:
                del self.lines[:1000]
            if line.startswith("EVENT "):
                self.event_count += 1
                if not self.queue_events:
                    continue
            self.queue.put(line)
        self.queue.put(None)

    def check_alive(self, what):
        rc = self.proc.poll()
        if rc is not None:
            how = ("killed by signal %d" % -rc) if rc < 0 else ("exit status %d" % rc)
            raise CaseFailed("the target died (%s) %s" % (how, what))

    def status_kib(self, field):
        try:
            with open("/proc/%d/status" % self.pid) as f:
                for line in f:
                    if line.startswith(field + ":"):
                        return int(line.split()[1])
        except OSError:
            self.check_alive("while its memory was read")
            raise
        raise CaseFailed("no %s in /proc/%d/status" % (field, self.pid))

    def rss_kib(self):
        return self.status_kib("VmRSS")

    def cpu_s(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def open_sockets(self):
        n = 0
        d = "/proc/%d/fd" % self.pid
        for name in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, name)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
        return n

    def wait_event(self, names, timeout, what):
        """The next event whose name is in names; others are skipped."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed("no %s event %s within %.0f s (events: %s)"
                                 % ("/".join(names), what, timeout, " ".join(seen[-12:])))
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.queue.put(None)
                self.check_alive(what)
                raise CaseFailed("the target's output ended %s" % what)
            if line.startswith("EVENT "):
                name = line.split()[1]
                seen.append(name)
                if name in names:
                    return name


# ---------------------------------------------------------- raw peers


def raw_connect(port, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(PROMPT_S)
    s.connect(("127.0.0.1", port))
    return s


def reset_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def recv_exact(s, n, deadline, what):
    data = b""
    while len(data) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CaseFailed("timed out reading %s (got %d of %d octets)" % (what, len(data), n))
        s.settimeout(left)
        try:
            chunk = s.recv(n - len(data))
        except socket.timeout:
            continue
        except OSError as e:
            raise CaseFailed("reading %s: %s" % (what, e))
        if not chunk:
            raise CaseFailed("connection closed while reading %s" % what)
        data += chunk
    return data


def read_frame(s, deadline, what):
    flags = recv_exact(s, 1, deadline, what)[0]
    if flags & 2:
        n = struct.unpack(">Q", recv_exact(s, 8, deadline, what))[0]
    else:
        n = recv_exact(s, 1, deadline, what)[0]
    return flags, recv_exact(s, n, deadline, what)


def handshake(s, deadline, socket_type=b"DEALER"):
    """A ZMTP 3.1 NULL handshake as socket_type; returns once the library's
    READY came."""
    s.sendall(greeting3() + ready(socket_type))
    g = recv_exact(s, 64, deadline, "the greeting")
    if g[0] != 0xff or g[9] != 0x7f:
        raise CaseFailed("not a ZMTP greeting: %r" % g[:12])
    while True:
        flags, body = read_frame(s, deadline, "the READY command")
        if flags & 4 and body.startswith(b"\x05READY"):
            return


def good_peer(target, tag, timeout=SERVED_S):
    """A well-behaved DEALER: handshake and one echo, within timeout."""
    deadline = time.monotonic() + timeout
    try:
        s = raw_connect(target.port)
    except OSError as e:
        target.check_alive("before the good peer connected")
        raise CaseFailed("the good peer could not connect: %s" % e)
    try:
        handshake(s, deadline)
        body = b"good peer " + tag.encode()
        s.sendall(frame(body))
        while True:
            flags, got = read_frame(s, deadline, "the echo to the good peer")
            if flags & 4:
                continue  # a command (PING): not the echo
            if got != body:
                raise CaseFailed("the good peer got %r instead of its echo" % got[:60])
            return
    except CaseFailed as e:
        target.check_alive("while the good peer waited")
        raise CaseFailed("the good peer was not served (%s): %s" % (tag, e))
    finally:
        s.close()


def expect_closed(s, timeout, what):
    """The library closes this connection (EOF or reset) within timeout,
    sending nothing but, possibly, its greeting and READY."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise CaseFailed("the connection was not closed %s within %.0f s" % (what, timeout))
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return
        if not chunk:
            return


# -------------------------------------------------------------- the cases


class Case:
    def __init__(self, ws, lib, binary):
        self.ws = ws
        self.lib = lib
        self.binary = binary

    def start(self, peers, *args):
        t = Target(self.ws, self.lib, self.binary, list(args))
        peers.append(t)
        good_peer(t, "at start")
        # Its events are over once the target saw it go.
        t.wait_event(["DISCONNECTED"], PROMPT_S, "of the first good peer")
        t.base_rss = t.rss_kib()
        return t

    def finish(self, t, what):
        t.check_alive(what)
        good_peer(t, what)
        rss = t.rss_kib()
        if rss > t.base_rss + RSS_SLACK_MIB * 1024:
            raise CaseFailed("RSS %d KiB %s, more than %d MiB above the %d KiB at start"
                             % (rss, what, RSS_SLACK_MIB, t.base_rss))
        return rss


def case_storm(peers, c):
    t = c.start(peers, "--handshake-ivl", "2000")
    before = t.open_sockets()
    g = greeting3()
    refused = []
    for i in range(600):
        try:
            s = raw_connect(t.port)
        except OSError as e:
            t.check_alive("during the storm")
            refused.append("%d: %s" % (i, e))
            continue
        try:
            if i % 3 == 0:
                s.sendall(g)
            elif i % 3 == 1:
                s.sendall(g + ready(b"DEALER"))
            else:
                s.sendall(g[:30])
        except OSError:
            pass  # the library may already have closed it
        if i % 2:
            reset_close(s)
        else:
            s.close()
    c.finish(t, "after the storm")
    if refused:
        raise CaseFailed("%d of 600 connections of the storm failed (%s)"
                         % (len(refused), "; ".join(refused[:3])))
    deadline = time.monotonic() + PROMPT_S
    n = t.open_sockets()
    while n > before and time.monotonic() < deadline:
        time.sleep(0.05)
        n = t.open_sockets()
    if n > before:
        raise CaseFailed("%d sockets open in the target %.0f s after the storm, %d before"
                         % (n, PROMPT_S, before))


LEGACY = [
    ("1-byte greeting (a ZMTP 1.0 length octet)", b"\x01"),
    ("1-byte greeting (the signature's first octet)", b"\xff"),
    ("the 10-octet signature only", signature()),
    ("signature and ZMTP 2.0 revision", signature() + b"\x01"),
    ("signature, ZMTP 2.0 revision and socket type", signature() + b"\x01\x05"),
    ("a whole ZMTP 3.1 greeting, no READY", greeting3()),
    ("a ZMTP 3.1 greeting and part of READY", greeting3() + ready(b"DEALER")[:6]),
    ("nothing at all", b""),
]


def case_legacy(peers, c, data):
    t = c.start(peers, "--handshake-ivl", str(HANDSHAKE_IVL_MS))
    s = raw_connect(t.port)
    try:
        if data:
            s.sendall(data)
        t.wait_event(["ACCEPTED"], PROMPT_S, "for the connection")
        name = t.wait_event(["HANDSHAKE_FAILED_NO_DETAIL", "HANDSHAKE_FAILED_PROTOCOL",
                             "HANDSHAKE_SUCCEEDED", "DISCONNECTED"],
                            HANDSHAKE_IVL_MS / 1000.0 + PROMPT_S,
                            "after ZMQ_HANDSHAKE_IVL")
        if name != "HANDSHAKE_FAILED_NO_DETAIL":
            raise CaseFailed("%s instead of HANDSHAKE_FAILED_NO_DETAIL" % name)
        expect_closed(s, PROMPT_S, "after the handshake failed")
        t.wait_event(["DISCONNECTED"], PROMPT_S, "after the handshake failed")
    finally:
        s.close()
    c.finish(t, "after the stalled handshake")


def ping(context):
    return command(b"PING", b"\x00\x00" + context)


def case_ping_flood(peers, c):
    t = c.start(peers)
    # A small receive buffer: the library's PONGs back up at once.
    s = raw_connect(t.port, rcvbuf=4096)
    handshake(s, time.monotonic() + PROMPT_S)
    chunk = b"".join(ping(b"%016d" % i) for i in range(40000))
    sent = 0
    stalled_since = None
    t0 = time.monotonic()
    view = memoryview(chunk)
    pos = 0
    while time.monotonic() - t0 < 8 and sent < 64 << 20:
        s.settimeout(0.5)
        try:
            n = s.send(view[pos:])
        except socket.timeout:
            n = 0
        except OSError as e:
            raise CaseFailed("the flooding peer's connection failed after %d octets: %s"
                             % (sent, e))
        if n == 0:
            # The library stopped reading: backpressure is a flat answer too.
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 2:
                break
            continue
        stalled_since = None
        sent += n
        pos = (pos + n) % len(chunk)
    try:
        rss = c.finish(t, "during the PING flood")
        growth = (rss - t.base_rss) / 1024.0
        print("    info: %s: %.1f MiB of PINGs (%d PINGs) taken, RSS %+.1f MiB"
              % (c.lib, sent / 1048576.0, sent // len(ping(b"0" * 16)), growth))
        if growth > PING_GROWTH_MIB:
            raise CaseFailed("RSS grew by %.1f MiB during a flood of %d PINGs (bound %d MiB)"
                             % (growth, sent // len(ping(b"0" * 16)), PING_GROWTH_MIB))
    finally:
        s.close()


def case_frame_size(peers, c, maxmsgsize, size):
    args = ["--maxmsgsize", str(maxmsgsize)] if maxmsgsize is not None else []
    t = c.start(peers, *args)
    s = raw_connect(t.port)
    try:
        handshake(s, time.monotonic() + PROMPT_S)
        s.sendall(b"\x02" + struct.pack(">Q", size) + b"x" * 100)
        expect_closed(s, PROMPT_S, "after a frame header claiming %d octets" % size)
    finally:
        s.close()
    c.finish(t, "after the impossible frame")


def case_ready_props(peers, c, count):
    t = c.start(peers)
    props = b"".join(prop(b"X-%06d" % i, b"v") for i in range(count))
    bad_ready = long_command(b"READY", prop(b"Socket-Type", b"DEALER") + props)
    s = raw_connect(t.port)
    errors = []

    def send_it():
        try:
            s.settimeout(SERVED_S)
            s.sendall(greeting3() + bad_ready)
        except OSError as e:
            errors.append(e)

    sender = threading.Thread(target=send_it, daemon=True)
    sender.start()
    try:
        # Once the big READY is in, a good peer is served while it is parsed.
        sender.join(SERVED_S)
        if errors:
            t.check_alive("while the big READY was sent")
        t0 = time.monotonic()
        good_peer(t, "after a READY with %d properties" % count, timeout=PROMPT_S)
        print("    info: %s: the good peer was served %.2f s after the READY was sent"
              % (c.lib, time.monotonic() - t0))
        c.finish(t, "after the READY with %d properties" % count)
    finally:
        s.close()


def case_emfile(peers, c):
    t = c.start(peers, "--nofile", "64")
    # A library that reports every failed accept may print many events.
    t.queue_events = False
    idle = []
    try:
        for _ in range(100):
            idle.append(raw_connect(t.port))
        time.sleep(0.5)
        cpu0, w0 = t.cpu_s(), time.monotonic()
        time.sleep(1.0)
        cpu = (t.cpu_s() - cpu0) / (time.monotonic() - w0)
        print("    info: %s: CPU %.0f%% of a core while its fds were exhausted (%d events)"
              % (c.lib, cpu * 100, t.event_count))
        t.check_alive("while its fds were exhausted")
        # The good peer connects now and waits in the backlog, its greeting
        # and READY already sent.
        g = raw_connect(t.port)
        g.sendall(greeting3() + ready(b"DEALER"))
    finally:
        for s in idle:
            s.close()
    try:
        # No other connection comes: the freed fds alone must let the
        # library accept it.
        deadline = time.monotonic() + SERVED_S
        try:
            gr = recv_exact(g, 64, deadline, "the greeting after the fds were freed")
            if gr[0] != 0xff:
                raise CaseFailed("not a greeting: %r" % gr[:10])
            while True:
                flags, body = read_frame(g, deadline, "the READY command")
                if flags & 4 and body.startswith(b"\x05READY"):
                    break
            g.sendall(frame(b"after EMFILE"))
            while True:
                flags, body = read_frame(g, deadline, "the echo")
                if not flags & 4:
                    break
            if body != b"after EMFILE":
                raise CaseFailed("echo %r" % body[:40])
        except CaseFailed as e:
            t.check_alive("after EMFILE")
            raise CaseFailed("the peer waiting in the backlog was not served once fds "
                             "were free: %s" % e)
    finally:
        g.close()
    c.finish(t, "after EMFILE")


def cases():
    out = [("storm: 600 greeting-and-close connections", case_storm, ())]
    for label, data in LEGACY:
        out.append(("legacy: %s" % label, case_legacy, (data,)))
    out.append(("ping flood from a peer that never reads", case_ping_flood, ()))
    out.append(("frame size: ZMQ_MAXMSGSIZE 65536, frame of 2^40 octets", case_frame_size,
                (65536, 1 << 40)))
    out.append(("frame size: ZMQ_MAXMSGSIZE 65536, frame of 65537 octets", case_frame_size,
                (65536, 65537)))
    out.append(("frame size: frame of 2^62 octets", case_frame_size, (None, 1 << 62)))
    out.append(("frame size: frame of 2^63-1 octets", case_frame_size, (None, (1 << 63) - 1)))
    out.append(("ready 100k: READY with 100,000 properties", case_ready_props, (100000,)))
    out.append(("emfile: a peer waiting while fds are exhausted is served once they "
                "free up", case_emfile, ()))
    return out


def build_target(ws):
    out = os.path.join(ws.dir, "attack_target")
    link = os.path.join(ws.dir, "link")
    if not os.path.isdir(link):
        os.mkdir(link)
        os.symlink(os.path.join(ws.libs["libzmq"], "libzmq.so.5"),
                   os.path.join(link, "libzmq.so"))
    cc = os.environ.get("CC", "cc")
    cmd = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", os.path.join(ROOT, "include"),
           "-o", out, os.path.join(HERE, "attack_target.c"), "-L", link, "-lzmq"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        sys.stdout.write(r.stdout + r.stderr)
        raise SystemExit("interop/attack_target.c does not compile")
    return out


def main():
    ap = argparse.ArgumentParser(description="hostile peers against one library")
    ap.add_argument("--lib", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--libs", default="ours")
    ap.add_argument("--peer")
    ap.add_argument("--filter", action="append", default=[])
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", action="store_true", dest="verbose")
    args = ap.parse_args()

    selected = cases()
    if args.filter:
        selected = [x for x in selected if any(f in x[0] for f in args.filter)]
    if args.list:
        for name, _, _ in selected:
            print(name)
        return 0
    libs = [x for x in args.libs.split(",") if x]
    if not libs or any(x not in ("ours", "libzmq") for x in libs):
        raise SystemExit("--libs takes ours, libzmq or ours,libzmq")
    ws = Workspace(args.lib, args.peer)
    try:
        binary = build_target(ws)
        tally = Tally(args.verbose)
        results = {}
        t0 = time.monotonic()
        for lib in libs:
            c = Case(ws, lib, binary)
            for name, fn, fargs in selected:
                failed = tally.failed
                tally.run("%s [%s]" % (name, lib), fn, c, *fargs)
                results[(name, lib)] = tally.failed == failed
        print("wire attacks: %d cases in %.0f s" % (len(selected) * len(libs),
                                                   time.monotonic() - t0))
        if len(libs) > 1:
            differ = [n for n, _, _ in selected
                      if len({results[(n, lib)] for lib in libs}) > 1]
            if differ:
                print("results that differ (%s):" % ", ".join(libs))
                for n in differ:
                    print("  %s: %s" % (n, ", ".join(
                        "%s %s" % (lib, "pass" if results[(n, lib)] else "FAIL")
                        for lib in libs)))
        return tally.summary()
    finally:
        ws.cleanup()


if __name__ == "__main__":
    sys.exit(main())
