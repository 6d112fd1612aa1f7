"""Shared parts of the client-suite runners (pyzmq_suite.py, czmq_suite.py).

A runner builds a real client of libzmq against this library, runs the client's own
test suite one test (or test file) per process, and compares the outcome with a
committed list of tests known to fail today (known-failures/<suite>.txt):

  * a test that fails and is not listed fails the run;
  * a listed test that passes fails the run too, so the list only shrinks;
  * a crash (signal) or a hang is a failure of the test it happened in.

A test whose outcome disagrees with the list runs twice more, each time on its own in a
fresh process, and only counts if all three runs agree: so an intermittent failure
neither turns the run red nor a listed test's lucky pass. A list entry whose reason
starts with "flaky" accepts both outcomes (for races that fail now and then).

Only the standard library: the runners start before any virtualenv exists.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LISTS = os.path.join(HERE, "known-failures")
UNKNOWN_REASON = "REASON?"

# Outcomes of one test.
PASSED = "passed"
FAILED = "failed"
SKIPPED = "skipped"
FAILING = {FAILED}
# How many more times, each alone, a test whose outcome disagrees with the list runs.
CONFIRM = 2


def log(*args):
    print(*args, flush=True)


class SetupError(Exception):
    """The suite could not be built or prepared: the run fails as a whole."""


# ------------------------------------------------------------------ tools


def run(cmd, log_path=None, env=None, cwd=None, check=True):
    """Runs a setup command; its output goes to log_path (or is inherited)."""
    if log_path:
        os.makedirs(os.path.dirname(log_path), exist_ok=True)
        with open(log_path, "ab") as out:
            out.write(("$ %s\n" % " ".join(cmd)).encode())
            out.flush()
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                 cwd=cwd, stdin=subprocess.DEVNULL)
    else:
        rc = subprocess.call(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL)
    if check and rc != 0:
        where = " (see %s)" % shown(log_path) if log_path else ""
        raise SetupError("%s exited with status %d%s" % (" ".join(cmd[:3]), rc, where))
    return rc


def shown(path):
    """A path as printed: relative to the repository when inside it."""
    rel = os.path.relpath(path, ROOT)
    return path if rel.startswith("..") else rel


def file_digest(*paths, extra=""):
    """A short digest of files' contents (and a string): a cache key."""
    h = hashlib.sha256(extra.encode())
    for path in paths:
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:16]


def stamp_matches(path, key):
    try:
        with open(path) as f:
            return f.read().strip() == key
    except OSError:
        return False


def write_stamp(path, key):
    with open(path, "w") as f:
        f.write(key + "\n")


def debian_packages_missing(packages):
    missing = []
    for pkg in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                           capture_output=True, text=True)
        if r.returncode != 0 or "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def ensure_debian_packages(packages, log_path):
    """Installs the Debian packages that are missing (apt-get, as root)."""
    missing = debian_packages_missing(packages)
    if not missing:
        return
    if os.geteuid() != 0:
        raise SetupError("missing Debian packages: %s (install them as root)"
                         % " ".join(missing))
    log("installing Debian packages: %s" % " ".join(missing))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
    if run(install, log_path, env=env, check=False) != 0:
        # A machine that never ran apt-get update has no package lists.
        run(["apt-get", "update"], log_path, env=env)
        run(install, log_path, env=env)


def install_tree():
    """The install tree `make install` assembles, checked for what clients need."""
    tree = os.path.join(ROOT, "build", "install")
    for rel in ("include/zmq.h", "lib/libzmq.so.5", "lib/pkgconfig/libzmq.pc"):
        if not os.path.exists(os.path.join(tree, rel)):
            raise SetupError("%s is missing: run `make install` first"
                             % shown(os.path.join(tree, rel)))
    return tree


def libzmq_of(binary, env=None):
    """The libzmq.so.5 that ldd resolves for a binary, as a real path (or None)."""
    r = subprocess.run(["ldd", binary], capture_output=True, text=True, env=env)
    m = re.search(r"^\s*libzmq[^ ]*\.so[^ ]* => (\S+)", r.stdout, re.M)
    return os.path.realpath(m.group(1)) if m and os.path.exists(m.group(1)) else None


def require_our_libzmq(binary, tree, env=None):
    """Fails unless `binary` loads the install tree's libzmq.so.5."""
    ours = os.path.realpath(os.path.join(tree, "lib", "libzmq.so.5"))
    got = libzmq_of(binary, env)
    if got != ours:
        raise SetupError("%s loads %s, not %s" % (shown(binary), got, shown(ours)))
    log("ldd: %s loads %s" % (shown(binary), shown(os.path.join(tree, "lib", "libzmq.so.5"))))


# ------------------------------------------------------------------ processes


def kill_group(proc):
    """Kills a process started with start_new_session, and everything it started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def describe_status(rc):
    if rc < 0:
        try:
            return "killed by %s" % signal.Signals(-rc).name
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


# ------------------------------------------------------------------ lists


def list_path(suite):
    return os.path.join(LISTS, suite + ".txt")


def read_list(suite):
    """{test id: reason} from known-failures/<suite>.txt ("<id> | <reason>" lines)."""
    path = list_path(suite)
    entries = {}
    if not os.path.exists(path):
        return entries
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            test, sep, reason = line.partition(" | ")
            if not sep or not test.strip() or not reason.strip():
                raise SetupError("%s:%d: expected '<test id> | <reason>'" % (shown(path), n))
            if test.strip() in entries:
                raise SetupError("%s:%d: %s is listed twice" % (shown(path), n, test.strip()))
            entries[test.strip()] = reason.strip()
    return entries


LIST_HEADER = """\
# Tests of {what}
# known to fail on this library today: one line per test, "<test id> | <reason>",
# grouped by reason.
# The runner fails when a test outside this list fails, and when a listed test
# passes (remove its line then: the list only shrinks). A reason starting with
# "flaky" accepts both outcomes. To rewrite the list from a run, keeping the
# reasons written here and marking new entries "{unknown}":
#   {command} --update-list
"""


def is_flaky(reason):
    return reason.lower().startswith("flaky")


def write_list(suite, what, command, failing, old):
    """Rewrites the list: the tests that failed in this run, plus the flaky entries
    of the old list; reasons are kept, new entries get UNKNOWN_REASON."""
    entries = {}
    for test in failing:
        entries[test] = old.get(test, UNKNOWN_REASON)
    for test, reason in old.items():
        if is_flaky(reason):
            entries[test] = reason
    groups = {}
    for test, reason in entries.items():
        groups.setdefault(reason, []).append(test)
    os.makedirs(LISTS, exist_ok=True)
    with open(list_path(suite), "w") as f:
        f.write(LIST_HEADER.format(what=what, command=command, unknown=UNKNOWN_REASON))
        for reason in sorted(groups, key=lambda r: (r == UNKNOWN_REASON, r.lower())):
            f.write("\n")
            for test in sorted(groups[reason]):
                f.write("%s | %s\n" % (test, reason))
    return entries


# ------------------------------------------------------------------ verdict


class Result:
    """The outcome of one test: PASSED, FAILED or SKIPPED, with a short detail."""

    def __init__(self, outcome, detail=""):
        self.outcome = outcome
        self.detail = detail

    def __repr__(self):
        return "%s(%s)" % (self.outcome, self.detail)


def judge(suite, results, rerun, update_list, what, command, t0, record_path, only=()):
    """Compares results ({id: Result}) with the known-failures list and prints the
    summary. `rerun(ids)` runs tests again, each on its own, and returns their
    Results. t0: time.monotonic() at the start. `only`: the patterns that selected part of the suite (the list entries
    outside it are left alone). Returns the exit status (0: the outcome matches the
    list)."""
    listed = read_list(suite)
    if only:
        if update_list:
            raise SetupError("--update-list needs the whole suite")
        listed = {t: r for t, r in listed.items()
                  if any(p in t.split("::")[0] for p in only)}
    failing = {t for t, r in results.items() if r.outcome in FAILING}

    # Disagreements with the list are observed again, each test alone, CONFIRM more
    # times: the verdict flips only if every observation agrees.
    new_failures = sorted(t for t in failing if t not in listed)
    new_passes = sorted(t for t, r in results.items()
                        if t in listed and r.outcome == PASSED and not is_flaky(listed[t]))
    flaky_seen = []
    pending = {t: FAILED for t in new_failures}
    pending.update({t: PASSED for t in new_passes})
    for _ in range(CONFIRM):
        if not pending:
            break
        log("re-running %d test(s) whose outcome disagrees with the list, each alone"
            % len(pending))
        again = rerun(sorted(pending))
        for t in sorted(pending):
            r = again.get(t)
            if r is None:
                continue  # cannot run alone (a file's exit): the first outcome stands
            same = (r.outcome in FAILING) if pending[t] == FAILED else (r.outcome == PASSED)
            if same:
                continue
            if pending[t] == FAILED:
                flaky_seen.append((t, "failed in the suite run (%s), then passed alone"
                                   % results[t].detail))
                failing.discard(t)
            else:
                flaky_seen.append((t, "listed; passed in the suite run, then failed alone "
                                   "(%s)" % r.detail))
                failing.add(t)
            results[t] = r
            del pending[t]

    wall = time.monotonic() - t0
    unexpected_failures = sorted(t for t in failing if t not in listed)
    unexpected_passes = sorted(t for t, r in results.items()
                               if t in listed and r.outcome == PASSED
                               and not is_flaky(listed[t]))
    stale = sorted(t for t in listed if t not in results or results[t].outcome == SKIPPED)
    stale = [t for t in stale if not is_flaky(listed[t])]
    expected = sorted(t for t in failing if t in listed)
    counts = {o: sum(1 for r in results.values() if r.outcome == o)
              for o in (PASSED, FAILED, SKIPPED)}

    for t in unexpected_failures:
        log("UNEXPECTED FAIL %s: %s" % (t, results[t].detail))
    for t in unexpected_passes:
        log("UNEXPECTED PASS %s (listed: %s): remove it from %s"
            % (t, listed[t], shown(list_path(suite))))
    for t in stale:
        state = "not run" if t not in results else "skipped"
        log("STALE ENTRY %s (listed: %s): %s; remove it from %s"
            % (t, listed[t], state, shown(list_path(suite))))
    for t, why in flaky_seen:
        log("FLAKY %s: %s" % (t, why))

    record = {
        "suite": suite,
        "wall_seconds": round(wall, 1),
        "tests": len(results),
        "passed": counts[PASSED],
        "failed": counts[FAILED],
        "skipped": counts[SKIPPED],
        "expected_failures": len(expected),
        "unexpected_failures": unexpected_failures,
        "unexpected_passes": unexpected_passes,
        "stale_entries": stale,
        "flaky": [t for t, _ in flaky_seen],
        "results": {t: [r.outcome, r.detail] for t, r in sorted(results.items())},
    }
    os.makedirs(os.path.dirname(record_path), exist_ok=True)
    with open(record_path, "w") as f:
        json.dump(record, f, indent=1)

    if update_list:
        entries = write_list(suite, what, command, sorted(failing), listed)
        unknown = sum(1 for r in entries.values() if r == UNKNOWN_REASON)
        log("%s: list rewritten: %d entries (%d marked %s), %s"
            % (suite, len(entries), unknown, UNKNOWN_REASON, shown(list_path(suite))))

    bad = len(unexpected_failures) + len(unexpected_passes) + len(stale)
    log("%s: %d tests in %.0f s: %d passed, %d failed (%d expected), %d skipped; "
        "%d unexpected failures, %d unexpected passes, %d stale list entries"
        % (suite, len(results), wall, counts[PASSED], counts[FAILED], len(expected),
           counts[SKIPPED], len(unexpected_failures), len(unexpected_passes), len(stale)))
    if update_list:
        return 0
    return 1 if bad else 0


def main_guard(fn):
    """Runs a runner's main: a SetupError is one clear line and status 1."""
    t0 = time.monotonic()
    try:
        rc = fn()
    except SetupError as e:
        log("FAILED (setup): %s [%.0f s]" % (e, time.monotonic() - t0))
        rc = 1
    except KeyboardInterrupt:
        rc = 130
    sys.exit(rc)


def fresh_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path
