#!/usr/bin/env python3
"""The reference libzmq with its draft API, for the tests that compare the draft socket
types and functions with libzmq's (interop/draft.py, and the C tests marked
`// libzmq-draft: ok`). Debian's libzmq5 is built without the draft API, so this
builds the same upstream release from Debian's `zeromq3` source package (see
debsrc.py) with cmake -DENABLE_DRAFTS=ON, once (cached by the source package and the
flags), and checks that the result says zmq_has("draft").

  python3 tests/clients/draft_libzmq.py

On success the library is build/draft-libzmq/libzmq.so.5 (what ZMQ_DRAFT_LIB names in
`make test`); on failure the reason is one line and the status is 1.
"""

import os
import shutil
import subprocess

import clients
import debsrc
from clients import SetupError, log, shown

ZEROMQ_VERSION = "4.3.4"
WORK = os.path.join(clients.ROOT, "build", "clients", "draft-libzmq")
OUT = os.path.join(clients.ROOT, "build", "draft-libzmq")
DEBIAN_PACKAGES = ["cmake", "dpkg-dev", "g++", "make", "pkg-config"]
# The draft API and nothing optional: CURVE and the perf tools stay out, so the build
# depends on no library the machine happens to have.
CMAKE_FLAGS = ["-DENABLE_DRAFTS=ON", "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_TESTS=OFF",
               "-DBUILD_STATIC=OFF", "-DWITH_DOCS=OFF", "-DWITH_PERF_TOOL=OFF",
               "-DENABLE_CURVE=OFF", "-DWITH_LIBSODIUM=OFF", "-DWITH_LIBBSD=OFF"]


def has_draft(lib):
    """Whether the library at `lib` loads and answers zmq_has("draft")."""
    r = subprocess.run(
        ["python3", "-c",
         "import ctypes, sys; z = ctypes.CDLL(sys.argv[1]); "
         "z.zmq_has.argtypes = [ctypes.c_char_p]; sys.exit(0 if z.zmq_has(b'draft') else 3)",
         lib], capture_output=True)
    return r.returncode == 0


def main():
    setup_log = os.path.join(WORK, "setup.log")
    os.makedirs(WORK, exist_ok=True)
    clients.ensure_debian_packages(DEBIAN_PACKAGES, setup_log)
    dsc = debsrc.fetch("zeromq3", ZEROMQ_VERSION, WORK, setup_log)
    key = clients.file_digest(dsc, extra=" ".join(CMAKE_FLAGS))
    lib = os.path.join(OUT, "libzmq.so.5")
    stamp = os.path.join(OUT, "build.stamp")
    if clients.stamp_matches(stamp, key) and os.path.exists(lib) and has_draft(lib):
        log("reference libzmq with its draft API: %s (cached)" % shown(lib))
        return 0
    log("building libzmq %s with its draft API from Debian's zeromq3 source package"
        % ZEROMQ_VERSION)
    builddir = clients.fresh_dir(os.path.join(WORK, "build"))
    src = os.path.join(builddir, "zeromq3")
    clients.run(["dpkg-source", "-x", dsc, src], setup_log)
    cmake_dir = os.path.join(builddir, "cmake")
    clients.run(["cmake", "-S", src, "-B", cmake_dir] + CMAKE_FLAGS, setup_log)
    jobs = str(min(2, os.cpu_count() or 1))
    clients.run(["cmake", "--build", cmake_dir, "-j", jobs], setup_log)
    built = os.path.realpath(os.path.join(cmake_dir, "lib", "libzmq.so.5"))
    if not os.path.exists(built):
        raise SetupError("the build made no lib/libzmq.so.5 (see %s)" % shown(setup_log))
    clients.fresh_dir(OUT)
    shutil.copy2(built, lib)
    if not has_draft(lib):
        raise SetupError("%s does not answer zmq_has(\"draft\")" % shown(lib))
    clients.write_stamp(stamp, key)
    log("reference libzmq with its draft API: %s" % shown(lib))
    return 0


if __name__ == "__main__":
    clients.main_guard(main)
