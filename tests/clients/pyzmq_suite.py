#!/usr/bin/env python3
"""pyzmq's own test suite on this library, in one of two ways:

  --mode sdist   pyzmq built from its source distribution against the install tree
                 (build/install; ZMQ_PREFIX, never its bundled libzmq: the extension
                 must load build/install/lib/libzmq.so.5, checked with ldd and at run
                 time), in a virtualenv under build/clients/pyzmq/;
  --mode wheel   pyzmq's binary wheel from PyPI, which carries its own libzmq, with this
                 library put in front by LD_PRELOAD (checked: the extension's zmq_*
                 symbols must bind to this library).

The sdist's complete tests/ directory runs from a copy outside the source tree (with
the sdist's pytest.ini, examples/ and mypy_tests/, which some tests read), one test file
per process, pytest-timeout bounding each test; see clients.py for the verdict. A test
that pyzmq skips because the library lacks CURVE (zmq.has("curve") is false) counts as
failed: libzmq 4.3.5 has it. test_mypy (a type check of pyzmq's examples, which import
numpy, pymongo, gevent... and never reach libzmq) skips: mypy is not installed. It
installs what it needs: Debian packages with apt-get, Python packages into its
virtualenvs (pinned in pyzmq-requirements.txt); downloads and builds are cached under
build/clients/pyzmq/.

  python3 tests/clients/pyzmq_suite.py --mode sdist [--draft] [--update-list]
                                       [--timeout S] [--only FILE-PATTERN]...
"""

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import time

import clients
import pytest_runner
from clients import SetupError, log, shown

PYZMQ_VERSION = "27.3.0"
REQUIREMENTS = os.path.join(clients.HERE, "pyzmq-requirements.txt")
WORK = os.path.join(clients.ROOT, "build", "clients", "pyzmq")
DOWNLOADS = os.path.join(WORK, "downloads")
# Debian packages: venv and headers for the interpreter (pyzmq's extension and the
# Cython test compile C), the compiler, and cmake/make/pkg-config for the build.
DEBIAN_PACKAGES = ["python3", "python3-venv", "python3-dev", "gcc", "libc6-dev", "make",
                   "cmake", "pkg-config"]


def base_python(arg):
    """The interpreter the virtualenvs are made from: Debian's python3 by default."""
    if arg:
        return arg
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def ensure_venv(path, python, setup_log):
    """A virtualenv at `path` with pyzmq-requirements.txt installed (done once)."""
    version = subprocess.run([python, "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True).stdout.strip()
    key = clients.file_digest(REQUIREMENTS, extra=python + version)
    stamp = os.path.join(path, "clients-requirements.stamp")
    vpython = os.path.join(path, "bin", "python")
    if os.path.exists(vpython) and clients.stamp_matches(stamp, key):
        return vpython
    log("creating the virtualenv %s" % shown(path))
    if os.path.exists(path):
        shutil.rmtree(path)
    clients.run([python, "-m", "venv", path], setup_log)
    clients.run([vpython, "-m", "pip", "install", "-q", "--no-deps", "-r", REQUIREMENTS],
                setup_log)
    # Every dependency is pinned in the file: pip check finds one left out.
    clients.run([vpython, "-m", "pip", "check"], setup_log)
    clients.write_stamp(stamp, key)
    return vpython


def sdist(vpython, setup_log):
    """pyzmq's source distribution, downloaded once, and its extracted tree."""
    tarball = os.path.join(DOWNLOADS, "pyzmq-%s.tar.gz" % PYZMQ_VERSION)
    if not os.path.exists(tarball):
        log("downloading pyzmq %s's sdist" % PYZMQ_VERSION)
        clients.run([vpython, "-m", "pip", "download", "-q", "--no-deps",
                     "--no-binary", "pyzmq", "--no-build-isolation",
                     "pyzmq==" + PYZMQ_VERSION, "-d", DOWNLOADS], setup_log)
    src = os.path.join(WORK, "src", "pyzmq-%s" % PYZMQ_VERSION)
    if not os.path.isdir(os.path.join(src, "tests")):
        os.makedirs(os.path.dirname(src), exist_ok=True)
        with tarfile.open(tarball) as tar:
            try:
                tar.extractall(os.path.dirname(src), filter="data")
            except TypeError:  # Python before 3.11.4 has no extraction filters
                tar.extractall(os.path.dirname(src))
    return tarball, src


def build_from_sdist(vpython, tarball, tree, draft, setup_log):
    """Builds pyzmq's wheel against the install tree (cached by the header, the sdist,
    the requirements and the draft switch) and installs it into the virtualenv."""
    header = os.path.join(tree, "include", "zmq.h")
    key = clients.file_digest(header, tarball, REQUIREMENTS, extra="draft=%d" % draft)
    wheeldir = os.path.join(WORK, "wheels", key)
    wheels = [f for f in os.listdir(wheeldir)] if os.path.isdir(wheeldir) else []
    if not wheels:
        log("building pyzmq %s from its sdist against %s (draft API %s)"
            % (PYZMQ_VERSION, shown(tree), "on" if draft else "off"))
        env = dict(os.environ, ZMQ_PREFIX=tree, PYZMQ_NO_BUNDLE="1",
                   ZMQ_DRAFT_API="1" if draft else "0", PYZMQ_LIBZMQ_RPATH="1")
        tmp = wheeldir + ".tmp"
        clients.fresh_dir(tmp)
        clients.run([vpython, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                     "--no-cache-dir", "-w", tmp, tarball], setup_log, env=env)
        os.rename(tmp, wheeldir)
        wheels = os.listdir(wheeldir)
    install_wheel(vpython, os.path.join(wheeldir, wheels[0]), key, setup_log)


def install_wheel(vpython, wheel, key, setup_log):
    stamp = os.path.join(os.path.dirname(os.path.dirname(vpython)), "clients-pyzmq.stamp")
    if clients.stamp_matches(stamp, key):
        return
    clients.run([vpython, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall",
                 wheel], setup_log)
    clients.write_stamp(stamp, key)


def binary_wheel(vpython, setup_log):
    """pyzmq's binary wheel for this interpreter, downloaded once and installed."""
    wheeldir = os.path.join(DOWNLOADS, "wheel")
    tag = subprocess.run([vpython, "-c", "import sys; print('cp%d%d' % sys.version_info[:2])"],
                         capture_output=True, text=True).stdout.strip()
    found = [f for f in os.listdir(wheeldir)
             if f.startswith("pyzmq-%s-%s-" % (PYZMQ_VERSION, tag))] \
        if os.path.isdir(wheeldir) else []
    if not found:
        log("downloading pyzmq %s's binary wheel" % PYZMQ_VERSION)
        clients.run([vpython, "-m", "pip", "download", "-q", "--no-deps", "--only-binary",
                     ":all:", "pyzmq==" + PYZMQ_VERSION, "-d", wheeldir], setup_log)
        found = [f for f in os.listdir(wheeldir)
                 if f.startswith("pyzmq-%s-%s-" % (PYZMQ_VERSION, tag))]
    if not found:
        raise SetupError("no pyzmq %s wheel for %s" % (PYZMQ_VERSION, tag))
    wheel = os.path.join(wheeldir, found[0])
    install_wheel(vpython, wheel, clients.file_digest(wheel), setup_log)


PROBE = r"""
import json, os, sys
import zmq, zmq.backend.cython._zmq as ext
ctx = zmq.Context(); s = ctx.socket(zmq.PAIR); s.close(); ctx.term()
maps = open("/proc/self/maps").read().split("\n")
libs = sorted({l.split()[-1] for l in maps if "libzmq" in l and "/" in l})
print(json.dumps({"ext": ext.__file__, "libzmq_loaded": libs, "draft": bool(zmq.DRAFT_API),
                  "zmq_version": zmq.zmq_version(), "pyzmq": zmq.pyzmq_version(),
                  "bundled": hasattr(zmq, "_libzmq")}))
"""


def probe(vpython, env):
    r = subprocess.run([vpython, "-c", PROBE], capture_output=True, text=True, env=env,
                       cwd="/", timeout=60)
    if r.returncode != 0:
        raise SetupError("pyzmq does not import and run a socket: %s"
                         % (r.stderr.strip().splitlines() or ["?"])[-1])
    import json
    return json.loads(r.stdout.strip().splitlines()[-1])


def check_sdist_build(vpython, tree, draft):
    """The built extension links the install tree's libzmq (ldd) and loads it."""
    ours = os.path.realpath(os.path.join(tree, "lib", "libzmq.so.5"))
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env.pop("LD_LIBRARY_PATH", None)
    info = probe(vpython, env)
    clients.require_our_libzmq(info["ext"], tree, env)
    loaded = [os.path.realpath(p) for p in info["libzmq_loaded"]]
    if loaded != [ours] or info["bundled"]:
        raise SetupError("pyzmq loads %s (bundled: %s), not only %s"
                         % (loaded, info["bundled"], shown(ours)))
    if info["draft"] != draft:
        raise SetupError("pyzmq's DRAFT_API is %s, wanted %s" % (info["draft"], draft))
    log("pyzmq %s (draft API %s) runs on %s, libzmq %s"
        % (info["pyzmq"], "on" if draft else "off", shown(ours), info["zmq_version"]))


def check_preload(vpython, env, tree, logdir):
    """With LD_PRELOAD, the wheel's extension must bind its zmq_* calls to this
    library, not to the libzmq the wheel carries."""
    ours = os.path.realpath(os.path.join(tree, "lib", "libzmq.so.5"))
    info = probe(vpython, env)
    trace = os.path.join(logdir, "ld-bindings")
    for f in os.listdir(logdir):
        if f.startswith("ld-bindings"):
            os.remove(os.path.join(logdir, f))
    denv = dict(env, LD_DEBUG="bindings", LD_DEBUG_OUTPUT=trace)
    subprocess.run([vpython, "-c", "import zmq; zmq.Context().term()"], env=denv,
                   capture_output=True, cwd="/", timeout=60)
    to_ours = to_other = 0
    ext = os.path.basename(info["ext"])
    for f in os.listdir(logdir):
        if not f.startswith("ld-bindings"):
            continue
        with open(os.path.join(logdir, f), errors="replace") as fh:
            for line in fh:
                if "binding file" not in line or ext not in line or "`zmq_" not in line:
                    continue
                target = line.split(" to ", 1)[1].split(" [", 1)[0].strip()
                if os.path.realpath(target) == ours:
                    to_ours += 1
                else:
                    to_other += 1
    if to_ours == 0 or to_other != 0:
        raise SetupError("with LD_PRELOAD the wheel's extension binds %d zmq_* symbols to "
                         "this library and %d elsewhere (see %s*)"
                         % (to_ours, to_other, shown(trace)))
    log("pyzmq %s wheel: its extension binds %d zmq_* symbols to %s (LD_PRELOAD)"
        % (info["pyzmq"], to_ours, shown(ours)))


def prepare_rundir(src, rundir):
    """A copy of the sdist's tests outside its source tree (no zmq/ package there, so
    `import zmq` finds the installed pyzmq)."""
    clients.fresh_dir(rundir)
    for name in ("tests", "examples", "mypy_tests"):
        shutil.copytree(os.path.join(src, name), os.path.join(rundir, name))
    shutil.copy(os.path.join(src, "pytest.ini"), rundir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mode", choices=["sdist", "wheel"], required=True)
    ap.add_argument("--draft", action="store_true",
                    help="build pyzmq with its draft API (sdist mode only)")
    ap.add_argument("--update-list", action="store_true",
                    help="rewrite the known-failures list from this run")
    ap.add_argument("--timeout", type=int, default=30, help="seconds per test")
    ap.add_argument("--only", action="append", default=[],
                    help="run only test files whose path contains this (repeatable)")
    ap.add_argument("--python", help="interpreter for the virtualenvs "
                    "(default: /usr/bin/python3)")
    args = ap.parse_args()
    if args.draft and args.mode == "wheel":
        ap.error("--draft applies to the sdist build only (the wheel is pyzmq's own)")

    t0 = time.monotonic()
    variant = "pyzmq-%s%s" % (args.mode, "-draft" if args.draft else "")
    logdir = clients.fresh_dir(os.path.join(WORK, "logs-" + variant))
    setup_log = os.path.join(logdir, "setup.log")
    log("== %s: pyzmq %s's test suite (%s)" % (variant, PYZMQ_VERSION,
        "built from its sdist against build/install" if args.mode == "sdist"
        else "binary wheel with this library by LD_PRELOAD"))
    clients.ensure_debian_packages(DEBIAN_PACKAGES, setup_log)
    tree = clients.install_tree()
    python = base_python(args.python)
    vpython = ensure_venv(os.path.join(WORK, "venv-" + args.mode), python, setup_log)
    tarball, src = sdist(vpython, setup_log)
    # test_cython compiles a Cython extension that includes zmq.h: a user of a libzmq
    # installed under a prefix points the compiler there.
    env = {"CPATH": os.path.join(tree, "include"), "LIBRARY_PATH": os.path.join(tree, "lib")}
    if args.mode == "sdist":
        build_from_sdist(vpython, tarball, tree, args.draft, setup_log)
        check_sdist_build(vpython, tree, args.draft)
        env["LD_PRELOAD"] = ""
    else:
        binary_wheel(vpython, setup_log)
        env["LD_PRELOAD"] = os.path.realpath(os.path.join(tree, "lib", "libzmq.so.5"))
        check_preload(vpython, dict(os.environ, **env), tree, logdir)
    rundir = os.path.join(WORK, "run-" + variant)
    prepare_rundir(src, rundir)
    log("setup done in %.0f s; running the suite (%d s per test at most)"
        % (time.monotonic() - t0, args.timeout))

    # pyzmq skips what libzmq lacks, asking zmq.has(): for this library that is a
    # failure (libzmq 4.3.5 has CURVE). Without --draft, draft skips are by choice.
    lacking = r"curve" + (r"|draft" if args.draft else "")
    suite = pytest_runner.PytestSuite(vpython, rundir, env, logdir, args.timeout, lacking)
    try:
        results = pytest_runner.run_suite(suite, args.only)
    except RuntimeError as e:
        raise SetupError(str(e))
    command = "python3 tests/clients/pyzmq_suite.py --mode %s%s" % (
        args.mode, " --draft" if args.draft else "")
    what = "pyzmq %s (%s)" % (PYZMQ_VERSION, "built from its sdist against this library"
                              if args.mode == "sdist"
                              else "binary wheel, this library by LD_PRELOAD")
    return clients.judge(variant, results, lambda ids: pytest_runner.rerun_alone(suite, ids),
                         args.update_list, what, command, t0,
                         os.path.join(WORK, "result-%s.json" % variant),
                         only=args.only)


if __name__ == "__main__":
    clients.main_guard(main)
