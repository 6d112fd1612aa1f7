#!/usr/bin/env python3
"""Draft-API interoperability: this library against a libzmq built with its draft
API, in separate processes (interop/draft_peer.c), each scenario both ways.

Debian's libzmq5 has no draft API, so this needs a drafts build of libzmq
(cmake -DENABLE_DRAFTS=ON on Debian's zeromq3 source package), named by
ZMQ_DRAFT_LIB (or --draft-lib): without one, everything is reported skipped.

    python3 interop/draft.py [--lib DIR] [--draft-lib FILE] [--filter SUBSTR] [-v]
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Peer:
    """A draft_peer process on one library; its stdout lines are collected."""

    def __init__(self, exe, libdir, args, verbose):
        env = dict(os.environ, LD_LIBRARY_PATH=libdir)
        self.args = args
        self.proc = subprocess.Popen([exe] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, text=True)
        self.lines = []
        self.verbose = verbose
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait_line(self, prefix, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line is not None and line.startswith(prefix):
                        return line
                if None in self.lines or time.monotonic() > deadline:
                    return None
                self.cond.wait(0.1)

    def stop(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def finish(self, timeout=30):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        time.sleep(0.05)
        return rc

    def output(self):
        with self.cond:
            return [l for l in self.lines if l is not None]


def scenario(name, a, b, transport, count=20):
    """a binds, b connects (their roles and the transport)."""
    return {"name": name, "a": a, "b": b, "transport": transport, "count": count}


SCENARIOS = [
    scenario("CLIENT/SERVER tcp", "server", "client", "tcp"),
    scenario("CLIENT/SERVER tcp, client binds", "client", "server", "tcp-rev"),
    scenario("RADIO/DISH tcp", "radio", "dish", "tcp"),
    scenario("RADIO/DISH tcp, dish binds", "dish", "radio", "tcp-rev"),
    scenario("RADIO/DISH udp", "dish", "radio", "udp"),
    scenario("SCATTER/GATHER tcp", "gather", "scatter", "tcp"),
    scenario("PEER tcp", "peer-a", "peer-b", "tcp"),
    scenario("CHANNEL tcp", "channel-a", "channel-b", "tcp"),
    scenario("DGRAM udp", "dgram-echo", "dgram-ping", "dgram"),
]

# Roles that run until told to stop (their partner decides when the case is done).
ENDLESS = {"radio", "dgram-echo"}


def run_case(exe, libs, sc, lib_a, lib_b, verbose):
    count = str(sc["count"])
    tr = sc["transport"]
    extra = []
    if tr in ("tcp", "tcp-rev"):
        ep_a = "tcp://127.0.0.1:*"
    elif tr == "udp":
        ep_a = "udp://127.0.0.1:%d" % free_udp_port()
    else:
        pa, pb = free_udp_port(), free_udp_port()
        ep_a = "udp://127.0.0.1:%d" % pa
    a = Peer(exe, libs[lib_a], [sc["a"], "bind", ep_a, count], verbose)
    try:
        line = a.wait_line("ENDPOINT")
        if not line:
            return "side A (%s) did not start: %s" % (sc["a"], a.output())
        # libzmq names a udp endpoint by its address alone (ZMQ_LAST_ENDPOINT).
        ep_b = ep_a if tr == "udp" else line.split(" ", 1)[1]
        mode_b = "connect"
        if tr == "dgram":
            ep_b, mode_b = "udp://127.0.0.1:%d" % pb, "bind"
            extra = ["127.0.0.1:%d" % pa]
        b = Peer(exe, libs[lib_b], [sc["b"], mode_b, ep_b, count] + extra, verbose)
        waiting = [p for p, role in ((a, sc["a"]), (b, sc["b"])) if role not in ENDLESS]
        endless = [p for p, role in ((a, sc["a"]), (b, sc["b"])) if role in ENDLESS]
        rcs = [p.finish() for p in waiting]
        for p in endless:
            p.stop()
        rcs += [p.finish() for p in endless]
        bad = [(p.args[0], rc, p.output()[-1:]) for p, rc in zip(waiting + endless, rcs)
               if rc != 0]
        if bad:
            return "; ".join("%s exited %d %s" % x for x in bad)
        return None
    finally:
        for p in (a,):
            if p.proc.poll() is None:
                p.proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", default="target/release")
    ap.add_argument("--draft-lib", default=os.environ.get("ZMQ_DRAFT_LIB", ""))
    ap.add_argument("--filter", action="append", default=[])
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    cases = [s for s in SCENARIOS if not args.filter
             or any(f in s["name"] for f in args.filter)]
    if not args.draft_lib:
        print("skipped: no libzmq with its draft API (set ZMQ_DRAFT_LIB)")
        print("0 passed, 0 failed, %d skipped" % (2 * len(cases)))
        return 0
    ours = None
    for name in ("libzmq.so.5", "libzmq.so"):
        p = os.path.join(args.lib, name)
        if os.path.exists(p):
            ours = os.path.abspath(p)
            break
    if not ours or not os.path.exists(args.draft_lib):
        raise SystemExit("need this library in --lib and a drafts libzmq")
    work = tempfile.mkdtemp(prefix="zmq-draft-interop.")
    try:
        libs = {}
        for label, path in (("ours", ours), ("libzmq-draft", os.path.abspath(args.draft_lib))):
            d = os.path.join(work, "lib-" + label)
            os.mkdir(d)
            os.symlink(path, os.path.join(d, "libzmq.so.5"))
            libs[label] = d
        exe = os.path.join(work, "draft_peer")
        r = subprocess.run([os.environ.get("CC", "cc"), "-std=c11", "-Wall", "-Wextra",
                            "-Werror", "-I", os.path.join(ROOT, "include"), "-o", exe,
                            os.path.join(HERE, "draft_peer.c"), "-L", libs["ours"],
                            "-l:libzmq.so.5"], capture_output=True, text=True)
        if r.returncode != 0:
            sys.stdout.write(r.stdout + r.stderr)
            raise SystemExit("interop/draft_peer.c does not compile")
        passed = failed = 0
        for sc in cases:
            for lib_a, lib_b in (("ours", "libzmq-draft"), ("libzmq-draft", "ours")):
                label = "%s: %s %s (%s) <- %s %s (%s)" % (
                    sc["name"], sc["a"], "binds", lib_a, sc["b"], "connects", lib_b)
                why = run_case(exe, libs, sc, lib_a, lib_b, args.v)
                if why:
                    failed += 1
                    print("FAIL " + label + ": " + why)
                else:
                    passed += 1
                    print("ok   " + label)
        print("%d passed, %d failed" % (passed, failed))
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
