"""Runs a pytest suite one test file per process, with a watchdog, for the client-suite
runners: a crash (signal) or a hang is recorded against the test that was running, the
process is restarted on the tests of the file not run yet, and the rest of the suite
goes on. pytest-timeout (thread method) bounds each test; the watchdog kills a process
that outlives that bound anyway.
"""

import os
import re
import subprocess
import time

from clients import FAILED, PASSED, SKIPPED, Result, describe_status, kill_group, log, shown

HERE = os.path.dirname(os.path.abspath(__file__))
EXIT_ID = "(process exit)"
# What pytest-timeout prints before it ends the process (thread method).
TIMEOUT_MARK = re.compile(r"\+{3,} Timeout \+{3,}")


class PytestSuite:
    """python: the interpreter (of the virtualenv holding pyzmq and the test deps);
    rundir: where pytest runs (holds pytest.ini and tests/); env: extra environment;
    logdir: one log per process; timeout: seconds per test; skip_as_failure: a regex
    of skip reasons that mean this library lacks something the client uses (such a
    skip is a failure: "security requires libzmq to have curve support")."""

    def __init__(self, python, rundir, env, logdir, timeout, skip_as_failure=None):
        self.skip_as_failure = re.compile(skip_as_failure, re.I) if skip_as_failure else None
        self.python = python
        self.rundir = rundir
        self.env = dict(os.environ)
        self.env.update(env)
        self.env["PYTHONPATH"] = os.pathsep.join(
            [HERE] + ([self.env["PYTHONPATH"]] if self.env.get("PYTHONPATH") else []))
        self.env.pop("PYTEST_ADDOPTS", None)
        self.logdir = logdir
        self.timeout = timeout
        self.processes = 0

    def _cmd(self, args):
        return [self.python, "-m", "pytest", "-p", "clients_progress",
                "-p", "no:cacheprovider", "-q", "--no-header", "-rfE",
                "--timeout=%d" % self.timeout, "--timeout-method=thread"] + args

    def collect(self):
        """The test ids in collection order, and {id: Result} for the files that do
        not collect or skip as a whole."""
        progress = os.path.join(self.logdir, "collect.progress")
        if os.path.exists(progress):
            os.remove(progress)
        env = dict(self.env, CLIENTS_PROGRESS=progress)
        r = subprocess.run(self._cmd(["--collect-only"]), cwd=self.rundir, env=env,
                           capture_output=True, text=True, timeout=300)
        with open(os.path.join(self.logdir, "collect.log"), "w") as f:
            f.write(r.stdout + r.stderr)
        ids = [line.strip() for line in r.stdout.splitlines()
               if "::" in line and not line.startswith(("ERROR", "FAILED", " "))]
        errors = {}
        if os.path.exists(progress):
            with open(progress) as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    if fields[0] == "collect-error":
                        errors[fields[1]] = Result(FAILED, "collection error: " + fields[2])
                    elif fields[0] == "collect-skip":
                        errors[fields[1]] = self._result(SKIPPED, fields[2])
        if not ids and not errors:
            raise RuntimeError("pytest collected nothing (see %s)"
                               % shown(os.path.join(self.logdir, "collect.log")))
        return ids, errors

    def run_group(self, name, ids, arg=None):
        """Runs `ids` (all in one file), restarting after a crash or a hang, and
        returns {id: Result}. arg: what to pass pytest the first time (the file)."""
        results = {}
        attempt = 0
        todo = list(ids)
        while todo:
            attempt += 1
            args = [arg] if (arg and attempt == 1) else todo
            got, status = self._one_process(name, attempt, args, set(todo))
            results.update(got)
            progress = [t for t in todo if t in got]
            todo = [t for t in todo if t not in results]
            if todo and (status is None or not progress):
                # pytest ended without running them (or died before the first one).
                for t in todo:
                    results[t] = Result(FAILED, "not run: pytest ended first (%s)"
                                        % (status or "it exited normally"))
                todo = []
        return results

    def _result(self, outcome, detail):
        if outcome == SKIPPED and self.skip_as_failure and self.skip_as_failure.search(detail):
            return Result(FAILED, "skipped by the suite: " + detail)
        return Result(outcome, detail)

    def _one_process(self, name, attempt, args, wanted):
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:80]
        progress = os.path.join(self.logdir, "%s.%d.progress" % (safe, attempt))
        logfile = os.path.join(self.logdir, "%s.%d.log" % (safe, attempt))
        if os.path.exists(progress):
            os.remove(progress)
        env = dict(self.env, CLIENTS_PROGRESS=progress)
        hard_limit = self.timeout + 30
        results = {}
        current = None
        started = last_event = time.monotonic()
        killed = None
        pos = 0
        self.processes += 1
        with open(logfile, "w") as out:
            proc = subprocess.Popen(self._cmd(args), cwd=self.rundir, env=env, stdout=out,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            while True:
                rc = proc.poll()
                pos, events = _read_events(progress, pos)
                now = time.monotonic()
                for ev in events:
                    last_event = now
                    if ev[0] == "start":
                        current, started = ev[1], now
                    elif ev[0] == "end" and len(ev) >= 3:
                        results[ev[1]] = self._result(ev[2], ev[3] if len(ev) > 3 else "")
                        current = None
                if rc is not None:
                    break
                if current is not None and now - started > hard_limit:
                    killed = "hung: no result after %d s, killed" % hard_limit
                    kill_group(proc)
                    rc = proc.returncode
                    break
                if current is None and now - last_event > hard_limit:
                    killed = "hung with no test running for %d s, killed" % hard_limit
                    kill_group(proc)
                    rc = proc.returncode
                    break
                time.sleep(0.1)
        # Whatever the main process left behind (threads of a forked child...).
        try:
            os.killpg(proc.pid, 9)
        except OSError:
            pass
        with open(logfile, errors="replace") as f:
            text = f.read()
        # None: pytest ended normally; otherwise what ended it.
        status = None if (killed is None and rc in (0, 1) and current is None) \
            else (killed or describe_status(rc))
        if current is not None:
            if killed:
                detail = killed
            elif TIMEOUT_MARK.search(text):
                detail = "hung: pytest-timeout after %d s" % self.timeout
            else:
                detail = "crashed: %s" % describe_status(rc)
            results[current] = Result(FAILED, detail)
        elif status is not None and not (wanted - set(results)):
            # Every test ran; the process then crashed or hung on its way out.
            what = killed or "crashed at exit: %s" % describe_status(rc)
            results["%s::%s" % (name, EXIT_ID)] = Result(FAILED, what)
            status = None
        elif status is not None and not results:
            log("  %s: pytest ended (%s) before any test (see %s)"
                % (name, status, shown(logfile)))
        return results, status


def _read_events(path, pos):
    try:
        with open(path) as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        return pos, []
    # Only whole lines: the last one may still be being written.
    end = data.rfind("\n") + 1
    lines = data[:end].splitlines()
    return pos + len(data[:end].encode()), [line.split("\t") for line in lines]


def run_suite(suite, files_filter=None):
    """Runs every file of a PytestSuite; returns {id: Result}."""
    ids, results = suite.collect()
    files = []
    by_file = {}
    for t in ids:
        f = t.split("::", 1)[0]
        if f not in by_file:
            by_file[f] = []
            files.append(f)
        by_file[f].append(t)
    if files_filter:
        files = [f for f in files if any(p in f for p in files_filter)]
        results = {t: r for t, r in results.items()
                   if any(p in t.split("::")[0] for p in files_filter)}
    for f in files:
        t0 = time.monotonic()
        got = suite.run_group(f, by_file[f], arg=f)
        results.update(got)
        n = {o: sum(1 for r in got.values() if r.outcome == o) for o in (PASSED, FAILED, SKIPPED)}
        log("  %-40s %3d passed %3d failed %3d skipped  %5.1f s"
            % (f, n[PASSED], n[FAILED], n[SKIPPED], time.monotonic() - t0))
    return results


def rerun_alone(suite, ids):
    """Runs each test in its own process; {id: Result}."""
    out = {}
    for t in ids:
        if t.endswith("::" + EXIT_ID) or "::" not in t:
            continue  # a file's exit or collection: not a test to run alone
        got = suite.run_group("rerun-" + t, [t])
        out[t] = got.get(t, Result(FAILED, "not run"))
        log("  rerun %s: %s %s" % (t, out[t].outcome, out[t].detail))
    return out
