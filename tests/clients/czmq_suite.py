#!/usr/bin/env python3
"""czmq 4.2.1's selftest on this library.

czmq comes from Debian's source package (`apt-get source czmq`, with deb-src enabled in
a private apt configuration under build/clients/czmq/apt, so the machine's own is left
alone: see debsrc.py) and is built against the install tree only: pkg-config sees nothing but
build/install/lib/pkgconfig, the compiler finds build/install/include/zmq.h first
(checked), and czmq_selftest must load build/install/lib/libzmq.so.5 (checked with
ldd). Every class of the selftest then runs on its own (`czmq_selftest --test NAME`),
in its own process with a time bound; see clients.py for the verdict.

  python3 tests/clients/czmq_suite.py [--draft] [--update-list] [--timeout S]
                                      [--only CLASS]...
"""

import argparse
import os
import re
import subprocess
import time

import clients
import debsrc
from clients import FAILED, PASSED, Result, SetupError, log, shown

CZMQ_VERSION = "4.2.1"
WORK = os.path.join(clients.ROOT, "build", "clients", "czmq")
DEBIAN_PACKAGES = ["dpkg-dev", "gcc", "libc6-dev", "make", "pkg-config"]
# czmq's optional dependencies stay out: the selftest exercises czmq on libzmq, and a
# system library found by chance would make the build depend on the machine.
CONFIGURE_FLAGS = ["--disable-static", "--with-docs=no", "--with-uuid=no",
                   "--with-libsystemd=no", "--with-liblz4=no", "--with-libcurl=no",
                   "--with-nss=no", "--with-libmicrohttpd=no", "--enable-zmakecert=no",
                   "--enable-zsp=no", "--enable-test_randof=no"]


def fetch_source(setup_log):
    """Downloads czmq's Debian source package once; returns its .dsc."""
    return debsrc.fetch("czmq", CZMQ_VERSION, WORK, setup_log)


def build(dsc, tree, draft, setup_log):
    """Extracts and builds czmq against the install tree (cached by the header, the
    source package, the flags and the draft switch); returns the build directory."""
    flags = CONFIGURE_FLAGS + ["--enable-drafts=%s" % ("yes" if draft else "no")]
    header = os.path.join(tree, "include", "zmq.h")
    key = clients.file_digest(header, dsc, extra=" ".join(flags))
    builddir = os.path.join(WORK, "build-" + ("draft" if draft else "stable"))
    stamp = os.path.join(builddir, "clients-build.stamp")
    if clients.stamp_matches(stamp, key):
        return builddir
    log("building czmq %s against %s (draft API %s)"
        % (CZMQ_VERSION, shown(tree), "on" if draft else "off"))
    clients.fresh_dir(builddir)
    src = os.path.join(builddir, "czmq")
    clients.run(["dpkg-source", "-x", dsc, src], setup_log)
    prefix = os.path.join(builddir, "prefix")
    inc, lib = os.path.join(tree, "include"), os.path.join(tree, "lib")
    env = dict(os.environ,
               # pkg-config sees only the install tree: never a system libzmq.pc.
               PKG_CONFIG_LIBDIR=os.path.join(lib, "pkgconfig"), PKG_CONFIG_PATH="",
               CPPFLAGS="-I" + inc,
               LDFLAGS="-L%s -Wl,-rpath,%s -Wl,-rpath,%s" % (lib, lib,
                                                             os.path.join(prefix, "lib")))
    # The header every czmq file includes must be the install tree's.
    r = subprocess.run(["gcc", "-I" + inc, "-M", "-x", "c", "-"], input="#include <zmq.h>\n",
                       capture_output=True, text=True)
    if os.path.join(inc, "zmq.h") not in r.stdout:
        raise SetupError("<zmq.h> does not resolve to %s" % shown(header))
    # In the source tree: a VPATH build would take the tarball's stale src/platform.h.
    clients.run(["./configure", "--prefix=" + prefix] + flags, setup_log, env=env, cwd=src)
    jobs = str(min(2, os.cpu_count() or 1))
    clients.run(["make", "-j" + jobs], setup_log, env=env, cwd=src)
    clients.run(["make", "install"], setup_log, env=env, cwd=src)
    clients.write_stamp(stamp, key)
    return builddir


def selftest_of(builddir):
    return os.path.join(builddir, "czmq", "src", ".libs", "czmq_selftest")


def classes(selftest, cwd):
    r = subprocess.run([selftest, "--list"], capture_output=True, text=True, cwd=cwd,
                       timeout=60)
    names = re.findall(r"^\s+(\S+)\s+- (?:stable|draft)", r.stdout, re.M)
    if r.returncode != 0 or not names:
        raise SetupError("czmq_selftest --list failed: %s" % (r.stdout + r.stderr)[-300:])
    # "private_classes" is the compat alias running every private class again.
    return [n for n in names if n != "private_classes"]


def failure_detail(rc, output):
    """What a failed class printed last that says why (an assertion, an error)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    why = ""
    for line in reversed(lines):
        if re.search(r"Assertion|assert|error|Error|E: |failed", line):
            why = line
            break
    if not why and lines:
        why = lines[-1]
    return "%s: %s" % (clients.describe_status(rc), why[:250])


def run_class(selftest, cwd, name, timeout, logdir):
    """Runs one class; a Result."""
    logfile = os.path.join(logdir, "%s.log" % name)
    with open(logfile, "w") as out:
        proc = subprocess.Popen([selftest, "--test", name], cwd=cwd, stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            clients.kill_group(proc)
            rc = None
    try:
        os.killpg(proc.pid, 9)  # whatever the class started and left behind
    except OSError:
        pass
    with open(logfile, errors="replace") as f:
        output = f.read()
    if rc is None:
        last = [line for line in output.splitlines() if line.strip()][-1:] or [""]
        return Result(FAILED, "hung: no end after %d s, killed (last line: %s)"
                      % (timeout, last[0].strip()[:200]))
    if rc == 0:
        return Result(PASSED)
    return Result(FAILED, failure_detail(rc, output))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draft", action="store_true", help="build czmq with --enable-drafts")
    ap.add_argument("--update-list", action="store_true",
                    help="rewrite the known-failures list from this run")
    ap.add_argument("--timeout", type=int, default=90, help="seconds per class")
    ap.add_argument("--only", action="append", default=[],
                    help="run only classes whose name contains this (repeatable)")
    args = ap.parse_args()

    t0 = time.monotonic()
    variant = "czmq" + ("-draft" if args.draft else "")
    logdir = clients.fresh_dir(os.path.join(WORK, "logs-" + variant))
    setup_log = os.path.join(logdir, "setup.log")
    log("== %s: czmq %s's selftest, built from Debian's source package against "
        "build/install" % (variant, CZMQ_VERSION))
    clients.ensure_debian_packages(DEBIAN_PACKAGES, setup_log)
    tree = clients.install_tree()
    dsc = fetch_source(setup_log)
    builddir = build(dsc, tree, args.draft, setup_log)
    selftest = selftest_of(builddir)
    env = dict(os.environ)
    env.pop("LD_LIBRARY_PATH", None)
    env.pop("LD_PRELOAD", None)
    clients.require_our_libzmq(selftest, tree, env)
    cwd = os.path.join(builddir, "czmq")  # the selftest reads src/selftest-ro
    names = classes(selftest, cwd)
    if args.only:
        names = [n for n in names if any(p in n for p in args.only)]
    log("setup done in %.0f s; running %d classes, each alone (%d s at most)"
        % (time.monotonic() - t0, len(names), args.timeout))

    results = {}
    for name in names:
        t1 = time.monotonic()
        results[name] = run_class(selftest, cwd, name, args.timeout, logdir)
        r = results[name]
        log("  %-22s %-7s %5.1f s  %s" % (name, r.outcome, time.monotonic() - t1, r.detail))

    def rerun(ids):
        out = {}
        for name in ids:
            out[name] = run_class(selftest, cwd, name, args.timeout, logdir)
            log("  rerun %s: %s %s" % (name, out[name].outcome, out[name].detail))
        return out

    command = "python3 tests/clients/czmq_suite.py" + (" --draft" if args.draft else "")
    what = "czmq %s's selftest (one class at a time)" % CZMQ_VERSION
    return clients.judge(variant, results, rerun, args.update_list, what, command,
                         t0, os.path.join(WORK, "result-%s.json" % variant),
                         only=args.only)


if __name__ == "__main__":
    clients.main_guard(main)
