#!/usr/bin/env python3
"""Older protocol versions and misbehaving peers, played byte for byte by mock
peers on raw TCP sockets against one library at a time.

The library under test runs interop/peer.c (with its socket monitor printed);
the mocks speak ZMTP 3.1 (RFC 37), 3.0 (RFC 23), 2.0 (RFC 15) and 1.0
(RFC 13).  Every expected byte and monitor event below is what libzmq 4.3
sends and reports in the same situation, observed on the real library; a
library that wants to be indistinguishable from it must do the same.

Bad peers must make the library close that connection (reporting the event
libzmq reports) while it keeps serving a second, well-behaved peer.

usage: interop/mock_peers.py [--lib DIR] [--filter SUBSTR]... [--peer PATH] [-v]

Prints one line per case and finally "N passed, N failed[, N skipped]"; the
exit status is non-zero when a case failed.
"""

import argparse
import os
import queue
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ROOT, CaseFailed, Peer, Tally, Workspace  # noqa: E402

# ZMQ_PROTOCOL_ERROR_* values reported with HANDSHAKE_FAILED_PROTOCOL.
ZMTP_UNEXPECTED_COMMAND = 0x10000001
ZMTP_MECHANISM_MISMATCH = 0x11000002

MAXMSGSIZE = 1000

# ------------------------------------------------------------ ZMTP encoding


def signature(identity_len=0):
    """The 10 octets libzmq opens with: the padding carries the identity
    length + 1, so that a ZMTP 1.0 peer reads them as an identity frame."""
    return b"\xff" + struct.pack(">Q", identity_len + 1) + b"\x7f"


def greeting3(major=3, minor=1, mechanism=b"NULL", as_server=0):
    return (signature() + bytes([major, minor]) + mechanism.ljust(20, b"\0")
            + bytes([as_server]) + b"\0" * 31)


# What a NULL-mechanism libzmq sends after its signature: version 3.1, NULL,
# not as-server, filler.
GREETING_REST = b"\x03\x01" + b"NULL".ljust(20, b"\0") + b"\x00" + b"\0" * 31


def command(name, data=b""):
    body = bytes([len(name)]) + name + data
    if len(body) <= 255:
        return b"\x04" + bytes([len(body)]) + body
    return b"\x06" + struct.pack(">Q", len(body)) + body


def prop(name, value):
    return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value


def ready(socket_type, identity=None):
    data = prop(b"Socket-Type", socket_type)
    if identity is not None:
        data += prop(b"Identity", identity)
    return command(b"READY", data)


def frame(body, more=False):
    """A ZMTP 2.0/3.x message frame."""
    flags = 1 if more else 0
    if len(body) <= 255:
        return bytes([flags, len(body)]) + body
    return bytes([flags | 2]) + struct.pack(">Q", len(body)) + body


def frame1(body, more=False):
    """A ZMTP 1.0 frame: the length counts the flags octet."""
    n = len(body) + 1
    head = bytes([n]) if n < 255 else b"\xff" + struct.pack(">Q", n)
    return head + (b"\x01" if more else b"\x00") + body


# ---------------------------------------------------------------- the mock


class Mock:
    """A raw socket with strict expectations on what the library sends."""

    def __init__(self, sock, name="mock"):
        self.s = sock
        self.name = name
        self.s.settimeout(3)

    @classmethod
    def connect(cls, port, name="mock"):
        return cls(socket.create_connection(("127.0.0.1", port), timeout=3), name)

    def send(self, data):
        try:
            self.s.sendall(data)
        except OSError as e:
            raise CaseFailed("%s: sending failed: %s" % (self.name, e))

    def recv_exact(self, n, what, timeout=3.0):
        self.s.settimeout(timeout)
        data = b""
        try:
            while len(data) < n:
                chunk = self.s.recv(n - len(data))
                if not chunk:
                    raise CaseFailed("%s: connection closed while reading %s (got %r)"
                                     % (self.name, what, data))
                data += chunk
        except socket.timeout:
            raise CaseFailed("%s: timed out reading %s (got %r)" % (self.name, what, data))
        except ConnectionResetError:
            raise CaseFailed("%s: connection reset while reading %s" % (self.name, what))
        return data

    def expect(self, want, what):
        got = self.recv_exact(len(want), what)
        if got != want:
            raise CaseFailed("%s: %s is\n      %r\n    instead of\n      %r"
                             % (self.name, what, got, want))

    def silence(self, what, seconds=0.2):
        """Nothing more may arrive for a while (the connection stays open)."""
        self.s.settimeout(seconds)
        try:
            data = self.s.recv(4096)
        except socket.timeout:
            return
        except ConnectionResetError:
            raise CaseFailed("%s: connection reset %s" % (self.name, what))
        if not data:
            raise CaseFailed("%s: connection closed %s" % (self.name, what))
        raise CaseFailed("%s: unexpected bytes %s: %r" % (self.name, what, data[:80]))

    def expect_close(self, what, timeout=3.0):
        """The library must close the connection, sending nothing more."""
        self.s.settimeout(timeout)
        try:
            data = self.s.recv(4096)
        except socket.timeout:
            raise CaseFailed("%s: the connection was not closed %s" % (self.name, what))
        except ConnectionResetError:
            return
        if data:
            raise CaseFailed("%s: unexpected bytes instead of the close %s: %r"
                             % (self.name, what, data[:80]))

    def prefix_then_close(self, allowed, what, timeout=3.0):
        """Reads until the library closes: what came must be a prefix of
        allowed (a close with unread input may be a reset that loses the
        tail of what was sent, so only a prefix can be required)."""
        self.s.settimeout(timeout)
        data = b""
        try:
            while True:
                chunk = self.s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            raise CaseFailed("%s: the connection was not closed %s (got %r)"
                             % (self.name, what, data[:80]))
        except ConnectionResetError:
            pass
        if not allowed.startswith(data):
            raise CaseFailed("%s: %r before the close %s, where only a prefix of %r may come"
                             % (self.name, data[:100], what, allowed))

    def read_frame_or_close(self, what, timeout=3.0):
        """The next ZMTP 3 frame, or None when the library closes."""
        self.s.settimeout(timeout)
        try:
            first = self.s.recv(1)
        except socket.timeout:
            raise CaseFailed("%s: timed out reading %s" % (self.name, what))
        except ConnectionResetError:
            return None
        if not first:
            return None
        flags = first[0]
        if flags & 2:
            n = struct.unpack(">Q", self.recv_exact(8, what))[0]
        else:
            n = self.recv_exact(1, what)[0]
        return flags, self.recv_exact(n, what)

    def read_frame(self, what):
        flags = self.recv_exact(1, what)[0]
        if flags & 2:
            n = struct.unpack(">Q", self.recv_exact(8, what))[0]
        else:
            n = self.recv_exact(1, what)[0]
        return flags, self.recv_exact(n, what)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def handshake3(m, target_ready, mock_type=b"DEALER", identity=None, minor=1, ident_len=0):
    """A well-behaved ZMTP 3.x NULL handshake; checks the library's bytes."""
    m.send(greeting3(minor=minor))
    m.expect(signature(ident_len) + GREETING_REST, "the greeting")
    m.send(ready(mock_type, identity))
    m.expect(target_ready, "the READY command")


# --------------------------------------------------------------- the target


class Target:
    """The library under test: peer.c in some role, monitor printed."""

    def __init__(self, peers, ws, args, endpoint="tcp://127.0.0.1:*", bind=True):
        role, stype = args[0], args[1]
        full = [role, stype, "bind" if bind else "connect", endpoint] + args[2:]
        full += ["--monitor", "--max-time", "40"]
        self.peer = Peer(ws, "ours", full, stype)
        peers.append(self.peer)
        self.port = None
        if bind:
            ep = self.peer.start_info()[0]
            self.port = int(ep.rsplit(":", 1)[1])
        self.events = []
        self.recvs = []

    def next_line(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        try:
            line = self.peer.queue.get(timeout=left)
        except queue.Empty:
            return None
        if line is None:
            self.peer.queue.put(None)
            raise CaseFailed("%s ended (status %s)" % (self.peer.label, self.peer.proc.wait()))
        return line

    def connection_events(self, what, timeout=5.0):
        """The events of one connection, up to its DISCONNECTED; RECV lines
        seen meanwhile are kept in self.recvs."""
        deadline = time.monotonic() + timeout
        got = []
        while True:
            line = self.next_line(deadline)
            if line is None:
                raise CaseFailed("no DISCONNECTED event %s (events: %s)" % (what, " ".join(got)))
            if line.startswith("RECV "):
                self.recvs.append(line)
            if not line.startswith("EVENT "):
                continue
            name, value = line.split()[1:3]
            if name in ("LISTENING", "CLOSED", "MONITOR_STOPPED"):
                continue
            if name == "HANDSHAKE_FAILED_PROTOCOL":
                name += "(0x%08x)" % int(value)
            got.append(name)
            if name == "DISCONNECTED":
                return got

    def expect_events(self, want, what):
        self.recvs = []
        got = self.connection_events(what)
        if got != want:
            raise CaseFailed("events %s: %s instead of %s" % (what, " ".join(got), " ".join(want)))

    def stop(self):
        self.peer.close_stdin()
        self.peer.finish(timeout=10)


OK_EVENTS = ["ACCEPTED", "HANDSHAKE_SUCCEEDED", "DISCONNECTED"]

# ZMTP 1.0 and 2.0 connections never complete a ZMTP 3 handshake: libzmq
# reports their end as a failed handshake without detail.
OLD_EVENTS = ["ACCEPTED", "HANDSHAKE_FAILED_NO_DETAIL", "DISCONNECTED"]


def good_peer(target, n=1):
    """After a bad peer: a well-behaved ZMTP 3.1 DEALER must still be served."""
    m = Mock.connect(target.port, "good peer")
    try:
        handshake3(m, READY_ROUTER)
        body = b"good peer %d" % n
        m.send(frame(body))
        m.expect(frame(body), "the echo to the good peer")
    finally:
        m.close()
    target.expect_events(OK_EVENTS, "of the good peer")


READY_ROUTER = ready(b"ROUTER", b"")
READY_PUB = ready(b"PUB")
READY_REP = ready(b"REP")

# -------------------------------------------------------- protocol versions


def case_greeting_stages(peers, ws):
    """libzmq's greeting comes in three steps, so that ZMTP 1.0 and 2.0 peers
    can be detected: the signature, then (after the peer's signature) the
    major version, then (after the peer's major version) the rest."""
    t = Target(peers, ws, ["echo-server", "ROUTER"])
    m = Mock.connect(t.port)
    m.expect(signature(), "the signature")
    m.silence("before our signature")
    g = greeting3()
    m.send(g[:10])
    m.expect(b"\x03", "the major version")
    m.silence("before our major version")
    m.send(g[10:11])
    m.expect(GREETING_REST[1:], "the rest of the greeting")
    m.silence("before our whole greeting")
    m.send(g[11:])
    m.expect(READY_ROUTER, "the READY command")
    m.send(ready(b"DEALER"))
    m.send(frame(b"x", more=True) + frame(b"") + frame(b"z" * 300))
    m.expect(frame(b"x", more=True) + frame(b"") + frame(b"z" * 300), "the echo")
    m.close()
    t.expect_events(OK_EVENTS, "of the ZMTP 3.1 peer")
    t.stop()


def sub_to_pub(peers, ws, minor, use_commands):
    t = Target(peers, ws, ["pub", "PUB"])
    m = Mock.connect(t.port, "ZMTP 3.%d SUB" % minor)
    handshake3(m, READY_PUB, mock_type=b"SUB", minor=minor)
    if use_commands:
        m.send(command(b"SUBSCRIBE", b"A") + command(b"SUBSCRIBE", b"END"))
    else:
        m.send(frame(b"\x01A") + frame(b"\x01END"))
    seen = set()
    for _ in range(12):
        flags, body = m.read_frame("a published message")
        if flags != 0 or not (body.startswith(b"A:") or body.startswith(b"END:")):
            raise CaseFailed("unsubscribed or malformed message %r (flags %d)" % (body, flags))
        seen.add(body.split(b":")[0])
    if seen != {b"A", b"END"}:
        raise CaseFailed("only %s arrived" % sorted(seen))
    if use_commands:
        m.send(command(b"CANCEL", b"A"))
    else:
        m.send(frame(b"\x00A"))
    # Once the cancellation is through (messages in flight aside) only END
    # comes: three of them in a row.
    in_a_row = 0
    for _ in range(300):
        flags, body = m.read_frame("a published message")
        if body.startswith(b"END:"):
            in_a_row += 1
            if in_a_row == 3:
                break
        elif body.startswith(b"A:"):
            in_a_row = 0
        else:
            raise CaseFailed("%r after cancelling A" % body)
    else:
        raise CaseFailed("A is still published long after CANCEL")
    m.close()
    t.expect_events(OK_EVENTS, "of the SUB mock")
    t.stop()


def case_sub30_to_pub(peers, ws):
    """ZMTP 3.0 SUB: subscriptions are messages starting with 1 (0 cancels)."""
    sub_to_pub(peers, ws, 0, False)


def case_sub31_to_pub(peers, ws):
    """ZMTP 3.1 SUB: SUBSCRIBE and CANCEL commands."""
    sub_to_pub(peers, ws, 1, True)


def case_sub31_messages_to_pub(peers, ws):
    """ZMTP 3.1 SUB still using 3.0-style subscription messages (accepted)."""
    sub_to_pub(peers, ws, 1, False)


def case_sub20_to_pub(peers, ws):
    """ZMTP 2.0 SUB: revision 1, socket type octet, identity frame, then
    subscription messages in 2.0 framing."""
    t = Target(peers, ws, ["pub", "PUB"])
    m = Mock.connect(t.port, "ZMTP 2.0 SUB")
    m.expect(signature(), "the signature")
    m.send(signature())
    m.expect(b"\x03", "the revision octet")
    m.send(b"\x01\x02")  # revision 1 (ZMTP 2.0), socket type SUB
    m.expect(b"\x01" + b"\x00\x00", "the socket type (PUB) and empty identity frame")
    m.send(b"\x00\x00" + frame(b"\x01B"))
    for _ in range(5):
        flags, body = m.read_frame("a published message")
        if flags != 0 or not body.startswith(b"B:"):
            raise CaseFailed("unexpected message %r (flags %d)" % (body, flags))
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 2.0 peer")
    t.stop()


def case_sub10_to_pub(peers, ws):
    """ZMTP 1.0 SUB: no subscriptions on the wire, so the publisher sends
    everything (libzmq subscribes such a peer to all topics)."""
    t = Target(peers, ws, ["pub", "PUB"])
    m = Mock.connect(t.port, "ZMTP 1.0 SUB")
    m.expect(signature(), "the signature (a 1.0 identity frame)")
    m.send(frame1(b""))  # anonymous identity
    topics = set()
    for _ in range(16):
        n = m.recv_exact(1, "a 1.0 frame")[0]
        flags = m.recv_exact(1, "a 1.0 frame")[0]
        body = m.recv_exact(n - 1, "a 1.0 frame")
        if flags != 0:
            raise CaseFailed("1.0 frame flags %d" % flags)
        topics.add(body.split(b":")[0])
    if topics != {b"A", b"B", b"C", b"END"}:
        raise CaseFailed("topics %s instead of all four" % sorted(topics))
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 1.0 peer")
    t.stop()


def pub_to_sub(peers, ws, version):
    """The library's SUB connects to a mock PUB: its subscriptions on the
    wire, filtering on its side (C, and B after cancelling, are sent anyway
    and must not be delivered)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    try:
        ep = "tcp://127.0.0.1:%d" % listener.getsockname()[1]
        t = Target(peers, ws, ["sub", "SUB", "--timeout", "3000"], endpoint=ep, bind=False)
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            raise CaseFailed("the SUB never connected")
    finally:
        listener.close()
    m = Mock(conn, "ZMTP %s PUB" % version)
    fr = frame
    if version in ("3.1", "3.0"):
        m.expect(signature(), "the signature")
        m.send(greeting3(minor=int(version[2])))
        m.expect(GREETING_REST, "the rest of the greeting")
        m.send(ready(b"PUB"))
        m.expect(ready(b"SUB"), "the READY command")
    elif version == "2.0":
        m.expect(signature(), "the signature")
        m.send(signature())
        m.expect(b"\x03", "the revision octet")
        m.send(b"\x01\x01")  # ZMTP 2.0, PUB
        m.expect(b"\x02\x00\x00", "the socket type (SUB) and empty identity frame")
        m.send(b"\x00\x00")
    else:
        m.expect(signature(), "the signature (a 1.0 identity frame)")
        m.send(frame1(b""))
        fr = frame1
    if version == "3.1":
        subs = b"".join(command(b"SUBSCRIBE", t_) for t_ in (b"A", b"B", b"END"))
        cancel = command(b"CANCEL", b"B")
    else:
        subs = b"".join(fr(b"\x01" + t_) for t_ in (b"A", b"B", b"END"))
        cancel = fr(b"\x00B")
    m.expect(subs, "the subscriptions")
    m.send(b"".join(fr(b"%s:1:1" % t_) for t_ in (b"A", b"B", b"C", b"END")))
    m.expect(cancel, "the cancellation of B")
    m.send(b"".join(fr(b"%s:1:2" % t_) for t_ in (b"A", b"B", b"C", b"END")))
    t.peer.finish(timeout=10)
    m.close()


def case_pub31_to_sub(peers, ws):
    pub_to_sub(peers, ws, "3.1")


def case_pub30_to_sub(peers, ws):
    pub_to_sub(peers, ws, "3.0")


def case_pub20_to_sub(peers, ws):
    pub_to_sub(peers, ws, "2.0")


def case_pub10_to_sub(peers, ws):
    pub_to_sub(peers, ws, "1.0")


def case_req20_to_rep(peers, ws):
    """ZMTP 2.0 REQ against a REP with a routing id: the id's length shows in
    the signature and the id comes as the 2.0 identity frame."""
    t = Target(peers, ws, ["echo-server", "REP", "--id", "srv"])
    m = Mock.connect(t.port, "ZMTP 2.0 REQ")
    m.expect(signature(3), "the signature")
    m.send(signature())
    m.expect(b"\x03", "the revision octet")
    m.send(b"\x01\x03")  # ZMTP 2.0, REQ
    m.expect(b"\x04" + b"\x00\x03srv", "the socket type (REP) and identity frame")
    m.send(b"\x00\x00")
    req = frame(b"", more=True) + frame(b"hello", more=True) + frame(b"x" * 256)
    m.send(req)
    m.expect(req, "the reply")
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 2.0 peer")
    t.stop()


def case_dealer20_to_router(peers, ws):
    t = Target(peers, ws, ["echo-server", "ROUTER", "--expect-ids", "v2peer"])
    m = Mock.connect(t.port, "ZMTP 2.0 DEALER")
    m.expect(signature(), "the signature")
    m.send(signature(6))
    m.expect(b"\x03", "the revision octet")
    m.send(b"\x01\x05")  # ZMTP 2.0, DEALER
    m.expect(b"\x06" + b"\x00\x00", "the socket type (ROUTER) and empty identity frame")
    m.send(b"\x00\x06v2peer")
    msg = frame(b"abc", more=True) + frame(b"hello")
    m.send(msg)
    m.expect(msg, "the echo")
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 2.0 peer")
    t.stop()


def case_req10_to_rep(peers, ws):
    """ZMTP 1.0 REQ: libzmq's signature doubles as its identity frame, the
    REP's id (if any) follows as that frame's body, then 1.0 framing."""
    t = Target(peers, ws, ["echo-server", "REP", "--id", "srv"])
    m = Mock.connect(t.port, "ZMTP 1.0 REQ")
    m.expect(signature(3), "the signature (a 1.0 identity frame)")
    m.send(frame1(b""))
    m.expect(b"srv", "the rest of the identity frame")
    req = frame1(b"", more=True) + frame1(b"hello", more=True) + frame1(b"y" * 300)
    m.send(req)
    m.expect(req, "the reply")
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 1.0 peer")
    t.stop()


def case_dealer10_to_router(peers, ws):
    t = Target(peers, ws, ["echo-server", "ROUTER", "--expect-ids", "v1peer"])
    m = Mock.connect(t.port, "ZMTP 1.0 DEALER")
    m.expect(signature(), "the signature (a 1.0 identity frame)")
    m.send(frame1(b"v1peer"))
    m.silence("after our identity")
    msg = frame1(b"abc", more=True) + frame1(b"hello")
    m.send(msg)
    m.expect(msg, "the echo")
    m.close()
    t.expect_events(OLD_EVENTS, "of the ZMTP 1.0 peer")
    t.stop()


def accepted_version(peers, ws, major, minor):
    t = Target(peers, ws, ["echo-server", "ROUTER"])
    m = Mock.connect(t.port, "version %d.%d peer" % (major, minor))
    m.send(greeting3(major=major, minor=minor))
    m.expect(signature() + GREETING_REST, "the greeting")
    m.send(ready(b"DEALER"))
    m.expect(READY_ROUTER, "the READY command")
    m.send(frame(b"hi"))
    m.expect(frame(b"hi"), "the echo")
    m.close()
    t.expect_events(OK_EVENTS, "of the peer")
    t.stop()


def case_future_version(peers, ws):
    """RFC 23: a higher version (4.0) is accepted and spoken to in 3.1."""
    accepted_version(peers, ws, 4, 0)


def case_version_byte_2(peers, ws):
    """A 64-octet greeting with major version 2 (no such ZMTP): libzmq reads
    any version octet above 1 as ZMTP 3 and goes on."""
    accepted_version(peers, ws, 2, 0)


# --------------------------------------------------------------- heartbeats


def case_ping_pong(peers, ws):
    """A PING (TTL and context) gets a PONG echoing the context; the TTL then
    ends the connection when the peer goes silent."""
    t = Target(peers, ws, ["echo-server", "ROUTER"])
    m = Mock.connect(t.port, "ZMTP 3.1 DEALER")
    handshake3(m, READY_ROUTER)
    m.send(command(b"PING", b"\x00\x05ctx"))  # TTL 500 ms
    m.expect(command(b"PONG", b"ctx"), "the PONG")
    t0 = time.monotonic()
    m.expect_close("after the TTL of 500 ms", timeout=3)
    took = time.monotonic() - t0
    if took < 0.3:
        raise CaseFailed("closed after %.2f s, before the TTL of 0.5 s" % took)
    m.close()
    t.expect_events(OK_EVENTS, "of the silent peer")
    good_peer(t)
    t.stop()


def heartbeats_to(peers, ws, minor):
    t = Target(peers, ws, ["echo-server", "ROUTER", "--hb-ivl", "100", "--hb-timeout", "400",
                           "--hb-ttl", "1000"])
    m = Mock.connect(t.port, "ZMTP 3.%d DEALER" % minor)
    handshake3(m, READY_ROUTER, minor=minor)
    ping = command(b"PING", b"\x00\x0a")  # TTL 1000 ms in tenths of a second
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.8:
        m.expect(ping, "a PING")
        m.send(command(b"PONG"))
        n += 1
    if n < 4:
        raise CaseFailed("only %d PINGs in 0.8 s with an interval of 100 ms" % n)
    m.send(frame(b"still here"))
    got = b""
    while not got.endswith(frame(b"still here")):
        flags, body = m.read_frame("the echo")
        if flags == 4 and body.startswith(b"\x04PING"):
            continue
        got = bytes([flags, len(body)]) + body
    # Stop answering: the library must give up after its timeout.
    t1 = time.monotonic()
    while True:
        f = m.read_frame_or_close("a PING")
        if f is None:
            break
        if bytes([f[0], len(f[1])]) + f[1] != ping:
            raise CaseFailed("%r instead of a PING" % (f,))
        if time.monotonic() - t1 > 3:
            raise CaseFailed("PINGs go on without PONGs for 3 s")
    took = time.monotonic() - t1
    m.close()
    if took < 0.3:
        raise CaseFailed("closed %.2f s after the last PONG, before the 0.4 s timeout" % took)
    t.expect_events(OK_EVENTS, "of the mock")
    t.stop()


def case_heartbeats_31(peers, ws):
    """The library's PINGs (interval 100 ms, TTL field 10): answered, the
    connection lives; unanswered, it ends after the timeout."""
    heartbeats_to(peers, ws, 1)


def case_heartbeats_30(peers, ws):
    """libzmq sends its PINGs to a ZMTP 3.0 peer too."""
    heartbeats_to(peers, ws, 0)


# ---------------------------------------------------------------- bad peers


def bad_case(steps, events, closes=True, delivers=None):
    """A bad peer against a ROUTER with ZMQ_MAXMSGSIZE set, then a good one.
    delivers: how many messages of the bad peer reach the application
    (default: none when the library closes the connection)."""
    def run(peers, ws):
        t = Target(peers, ws, ["echo-server", "ROUTER", "--maxmsgsize", str(MAXMSGSIZE)])
        m = Mock.connect(t.port, "bad peer")
        try:
            steps(m)
            if closes:
                m.expect_close("by the library")
        finally:
            m.close()
        t.expect_events(events, "of the bad peer")
        want = delivers if delivers is not None else (0 if closes else None)
        if want is not None and len(t.recvs) != want:
            raise CaseFailed("%d messages of the bad peer delivered instead of %d"
                             % (len(t.recvs), want))
        good_peer(t)
        t.stop()
        return t
    return run


def after_handshake(data):
    def steps(m):
        handshake3(m, READY_ROUTER)
        m.send(data)
    return steps


def instead_of_ready(data):
    def steps(m):
        m.send(greeting3())
        m.expect(signature() + GREETING_REST, "the greeting")
        m.send(data)
        m.expect(READY_ROUTER, "the READY command")
    return steps


def garbage_greeting(m):
    # Signature-shaped, then a version and bytes that name no mechanism.
    m.send(b"\xff" + bytes(range(1, 9)) + b"\x7f" + b"\x03\x01" + b"\x01\x02garbage!"
           + b"\xaa" * 42)
    m.prefix_then_close(signature() + GREETING_REST, "after a garbage mechanism")


def zero_length_v1_frame(m):
    # Not a signature: a ZMTP 1.0 peer, whose first frame has the invalid
    # length 0.
    m.expect(signature(), "the signature")
    m.send(b"\x00\x00\x00")


def other_mechanism(m):
    m.send(greeting3(mechanism=b"PLAIN"))
    m.prefix_then_close(signature() + GREETING_REST, "after a mechanism mismatch")


def truncated_then_close(m):
    handshake3(m, READY_ROUTER)
    m.send(b"\x00\x64" + b"x" * 10)  # 10 of 100 announced bytes


def unknown_command_after(m):
    handshake3(m, READY_ROUTER)
    m.send(command(b"FOOBAR", b"x") + frame(b"after"))
    m.expect(frame(b"after"), "the echo after the unknown command")


def at_max_size(m):
    handshake3(m, READY_ROUTER)
    body = b"m" * MAXMSGSIZE
    m.send(frame(body))
    m.expect(frame(body), "the echo of a message of exactly ZMQ_MAXMSGSIZE")


FAILED_UNEXPECTED = ["ACCEPTED", "HANDSHAKE_FAILED_PROTOCOL(0x%08x)" % ZMTP_UNEXPECTED_COMMAND,
                     "DISCONNECTED"]
FAILED_MECHANISM = ["ACCEPTED", "HANDSHAKE_FAILED_PROTOCOL(0x%08x)" % ZMTP_MECHANISM_MISMATCH,
                    "DISCONNECTED"]
# libzmq 4.3 reports no handshake event for a READY it cannot parse, a
# socket type it does not accept, or an ERROR command: the connection just
# ends.
JUST_DISCONNECTED = ["ACCEPTED", "DISCONNECTED"]

BAD_CASES = [
    ("bad: garbage greeting (no such mechanism)",
     bad_case(garbage_greeting, FAILED_MECHANISM, closes=False, delivers=0)),
    ("bad: zero-length ZMTP 1.0 frame", bad_case(zero_length_v1_frame, JUST_DISCONNECTED)),
    ("bad: PLAIN mechanism against NULL",
     bad_case(other_mechanism, FAILED_MECHANISM, closes=False, delivers=0)),
    ("bad: message of ZMQ_MAXMSGSIZE + 1 octets",
     bad_case(after_handshake(b"\x02" + struct.pack(">Q", MAXMSGSIZE + 1)),
              OK_EVENTS)),
    ("bad: message of 2^63 octets", bad_case(after_handshake(b"\x02\x7f" + b"\xff" * 7),
                                             OK_EVENTS)),
    ("ok: message of exactly ZMQ_MAXMSGSIZE octets", bad_case(at_max_size, OK_EVENTS,
                                                              closes=False, delivers=1)),
    ("bad: truncated frame, then close", bad_case(truncated_then_close, OK_EVENTS,
                                                  closes=False, delivers=0)),
    ("bad: unknown command instead of READY",
     bad_case(instead_of_ready(command(b"HELLO", b"x")), FAILED_UNEXPECTED)),
    ("ok: unknown command after the handshake is ignored",
     bad_case(unknown_command_after, OK_EVENTS, closes=False, delivers=1)),
    ("bad: message instead of READY", bad_case(instead_of_ready(frame(b"hi")),
                                               FAILED_UNEXPECTED)),
    ("bad: empty command instead of READY", bad_case(instead_of_ready(b"\x04\x00"),
                                                     FAILED_UNEXPECTED)),
    ("bad: malformed READY (property name overruns)",
     bad_case(instead_of_ready(command(b"READY", b"\x20Socket-Type")), JUST_DISCONNECTED)),
    ("bad: malformed READY (property value overruns)",
     bad_case(instead_of_ready(command(b"READY", b"\x0bSocket-Type\x00\x00\x00\x10DEALER")),
              JUST_DISCONNECTED)),
    ("bad: READY with a socket type ROUTER does not accept (PUB)",
     bad_case(instead_of_ready(ready(b"PUB")), JUST_DISCONNECTED)),
    ("bad: READY with an unknown socket type",
     bad_case(instead_of_ready(ready(b"BOGUS")), JUST_DISCONNECTED)),
    ("bad: ERROR command instead of READY",
     bad_case(instead_of_ready(command(b"ERROR", b"\x04oops")), JUST_DISCONNECTED)),
]

COMPAT_CASES = [
    ("zmtp3.1: greeting in three steps, READY, multipart echo", case_greeting_stages),
    ("zmtp3.0 SUB mock -> PUB: subscription messages", case_sub30_to_pub),
    ("zmtp3.1 SUB mock -> PUB: SUBSCRIBE/CANCEL commands", case_sub31_to_pub),
    ("zmtp3.1 SUB mock -> PUB: 3.0-style subscription messages", case_sub31_messages_to_pub),
    ("zmtp2.0 SUB mock -> PUB", case_sub20_to_pub),
    ("zmtp1.0 SUB mock -> PUB: everything is sent", case_sub10_to_pub),
    ("zmtp3.1 PUB mock <- SUB: SUBSCRIBE/CANCEL commands", case_pub31_to_sub),
    ("zmtp3.0 PUB mock <- SUB: subscription messages", case_pub30_to_sub),
    ("zmtp2.0 PUB mock <- SUB", case_pub20_to_sub),
    ("zmtp1.0 PUB mock <- SUB", case_pub10_to_sub),
    ("zmtp2.0 REQ mock -> REP (routing id)", case_req20_to_rep),
    ("zmtp2.0 DEALER mock -> ROUTER", case_dealer20_to_router),
    ("zmtp1.0 REQ mock -> REP (routing id)", case_req10_to_rep),
    ("zmtp1.0 DEALER mock -> ROUTER", case_dealer10_to_router),
    ("version 4.0 greeting accepted as ZMTP 3", case_future_version),
    ("version octet 2 in a 64-octet greeting read as ZMTP 3", case_version_byte_2),
    ("zmtp3.1 PING -> PONG with context; TTL ends a silent peer", case_ping_pong),
    ("heartbeats to a ZMTP 3.1 mock: PING, PONG, timeout", case_heartbeats_31),
    ("heartbeats to a ZMTP 3.0 mock: PING, PONG, timeout", case_heartbeats_30),
]


def main():
    ap = argparse.ArgumentParser(description="mock ZMTP peers against one library")
    ap.add_argument("--lib", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--filter", action="append", default=[])
    ap.add_argument("--peer")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("-v", action="store_true", dest="verbose")
    args = ap.parse_args()

    ws = Workspace(args.lib, args.peer)
    try:
        cases = COMPAT_CASES + BAD_CASES
        if args.filter:
            cases = [c for c in cases if any(f in c[0] for f in args.filter)]
        if args.list:
            for name, _ in cases:
                print(name)
            return 0
        env = dict(os.environ, LD_LIBRARY_PATH=ws.libs["ours"])
        r = subprocess.run([ws.peer, "probe", "tcp"], env=env, capture_output=True, timeout=20)
        tally = Tally(args.verbose)
        for name, fn in cases:
            if r.returncode != 0:
                tally.fail(name, "the tcp probe failed (status %d)" % r.returncode)
            else:
                tally.run(name, fn, ws)
        return tally.summary()
    finally:
        ws.cleanup()


if __name__ == "__main__":
    sys.exit(main())
