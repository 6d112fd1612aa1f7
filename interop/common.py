"""Shared helpers of the interoperability tests: building the peer program,
library directories, peer processes and case bookkeeping (python3 stdlib)."""

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def real_libzmq():
    """The system's libzmq.so.5 (Debian's libzmq5)."""
    env = os.environ.get("ZMQ_REAL_LIB")
    if env:
        return env
    try:
        arch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True,
                              text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        arch = ""
    return "/usr/lib/%s/libzmq.so.5" % (arch or "x86_64-linux-gnu")


class CaseFailed(Exception):
    pass


class Workspace:
    """A temporary directory with one directory per library, each holding
    exactly one libzmq.so.5, and the peer program built in it."""

    def __init__(self, ours_dir, peer=None):
        self.dir = tempfile.mkdtemp(prefix="zmq-interop.")
        self.libs = {}
        self._add_lib("ours", self._lib_file(ours_dir))
        real = real_libzmq()
        if not os.path.exists(real):
            raise SystemExit("the real libzmq '%s' is missing (set ZMQ_REAL_LIB)" % real)
        self._add_lib("libzmq", real)
        self.peer = os.path.abspath(peer) if peer else self._build_peer(real)
        self.serial = 0

    @staticmethod
    def _lib_file(d):
        for name in ("libzmq.so.5", "libzmq.so"):
            p = os.path.join(d, name)
            if os.path.exists(p):
                return os.path.abspath(p)
        raise SystemExit("no libzmq.so.5 or libzmq.so in '%s' (build the library "
                         "first, or pass --lib)" % d)

    def _add_lib(self, label, path):
        d = os.path.join(self.dir, "lib-" + label)
        os.mkdir(d)
        os.symlink(path, os.path.join(d, "libzmq.so.5"))
        self.libs[label] = d

    def _build_peer(self, real):
        # Linked against the real libzmq so the program records libzmq.so.5,
        # then run on either library through LD_LIBRARY_PATH.
        link = os.path.join(self.dir, "link")
        os.mkdir(link)
        os.symlink(real, os.path.join(link, "libzmq.so"))
        out = os.path.join(self.dir, "peer")
        cc = os.environ.get("CC", "cc")
        cmd = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror",
               "-I", os.path.join(ROOT, "include"), "-o", out,
               os.path.join(HERE, "peer.c"), "-L", link, "-lzmq"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            sys.stdout.write(r.stdout + r.stderr)
            raise SystemExit("interop/peer.c does not compile")
        return out

    def unique(self, stem):
        self.serial += 1
        return "%s-%d-%d" % (stem, os.getpid(), self.serial)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Peer:
    """One peer process; its output lines are collected by a thread."""

    def __init__(self, ws, lib, args, label):
        self.label = "%s[%s]" % (label, lib)
        self.args = args
        env = dict(os.environ, LD_LIBRARY_PATH=ws.libs[lib])
        self.proc = subprocess.Popen([ws.peer] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env, cwd=ws.dir)
        self.lines = []
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def expect(self, prefix, timeout=10.0):
        """The next line starting with prefix; earlier lines are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CaseFailed("%s: no '%s' line within %.0f s" % (self.label, prefix, timeout))
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                self.queue.put(None)
                raise CaseFailed("%s: ended (status %s) before printing '%s'"
                                 % (self.label, self.proc.wait(), prefix))
            if line.startswith(prefix):
                return line

    def start_info(self, timeout=10.0):
        """Endpoints printed by a binder, once it reports READY."""
        eps = []
        while True:
            line = self.expect("", timeout)
            if line.startswith("ENDPOINT "):
                eps.append(line[9:])
            elif line == "READY":
                return eps
            elif line.startswith(("FAIL", "TIMEOUT")):
                raise CaseFailed("%s: %s" % (self.label, line))

    def send_line(self, text):
        try:
            self.proc.stdin.write((text + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def close_stdin(self):
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass

    def finish(self, timeout=15.0, want=0):
        """Waits for the exit; a wrong status or a timeout fails the case."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise CaseFailed("%s: still running after %.0f s" % (self.label, timeout))
        self.thread.join(5)
        if want is not None and rc != want:
            last = [ln for ln in self.lines if ln.startswith(("FAIL", "TIMEOUT"))]
            raise CaseFailed("%s: exit status %d%s" % (self.label, rc,
                                                        (" (%s)" % last[-1]) if last else ""))
        return rc

    def signal(self, sig):
        try:
            self.proc.send_signal(sig)
        except ProcessLookupError:
            pass

    def kill(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGKILL)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        self.close_stdin()

    def report(self, limit=40):
        lines = self.lines[-limit:]
        head = "    %s: %s" % (self.label, " ".join(self.args))
        return "\n".join([head] + ["      " + ln for ln in lines])


class Tally:
    """One line per case, and the final 'N passed, N failed' line."""

    def __init__(self, verbose=False):
        self.passed = self.failed = self.skipped = 0
        self.verbose = verbose

    def run(self, name, fn, *args):
        peers = []
        t0 = time.monotonic()
        try:
            fn(peers, *args)
        except CaseFailed as e:
            self.failed += 1
            for p in peers:
                p.kill()
            print("FAIL %s: %s" % (name, e))
            for p in peers:
                print(p.report())
        except Exception as e:  # a bug in the case itself still fails it
            self.failed += 1
            for p in peers:
                p.kill()
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e))
            for p in peers:
                print(p.report())
        else:
            self.passed += 1
            for p in peers:
                p.kill()
            print("PASS %s (%.2f s)" % (name, time.monotonic() - t0))
            if self.verbose:
                for p in peers:
                    print(p.report())
        sys.stdout.flush()

    def fail(self, name, why):
        """A case that could not run counts as failed."""
        self.failed += 1
        print("FAIL %s: %s" % (name, why))
        sys.stdout.flush()

    def skip(self, name, why):
        self.skipped += 1
        print("SKIP %s: %s" % (name, why))
        sys.stdout.flush()

    def summary(self):
        line = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            line += ", %d skipped" % self.skipped
        print(line)
        return 1 if self.failed else 0


def ipv6_available():
    import socket
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False
