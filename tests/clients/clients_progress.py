"""pytest plugin of the client-suite runner: writes one line per event to the file
named by $CLIENTS_PROGRESS, flushed at once, so that the runner knows which test was
running when the process crashed or hung, and what every finished test did.

Lines (tab-separated): "start <nodeid>", "end <nodeid> <outcome> <detail>" with
outcome passed, failed or skipped (an xfail, which the suite itself expects, counts as
passed; so does an xpass), "collect-error <nodeid> <detail>" and "collect-skip <nodeid>
<detail>" (a module skipped as a whole).
"""

import os

_out = None
_state = {}


def _write(*fields):
    if _out is not None:
        _out.write("\t".join(str(f).replace("\t", " ").replace("\n", " ") for f in fields))
        _out.write("\n")
        _out.flush()


def _message(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message.strip().splitlines()[0][:300] if crash.message.strip() else ""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3:
        return str(report.longrepr[2])[:300]
    text = str(report.longrepr or "").strip().splitlines()
    return text[-1][:300] if text else ""


def pytest_configure(config):
    global _out
    path = os.environ.get("CLIENTS_PROGRESS")
    if path:
        _out = open(path, "a")


def pytest_runtest_logstart(nodeid, location):
    _state[nodeid] = ("passed", "")
    _write("start", nodeid)


def pytest_runtest_logreport(report):
    if report.outcome == "rerun":  # pytest-rerunfailures: the test runs again
        _state[report.nodeid] = ("passed", "")
        return
    current = _state.get(report.nodeid, ("passed", ""))
    if current[0] == "failed":
        return  # the first failure says what went wrong
    if report.failed:
        where = "" if report.when == "call" else "[%s] " % report.when
        _state[report.nodeid] = ("failed", where + _message(report))
    elif report.skipped:
        if hasattr(report, "wasxfail"):
            _state[report.nodeid] = ("passed", "xfail: " + str(report.wasxfail)[:200])
        else:
            _state[report.nodeid] = ("skipped", _message(report))


def pytest_runtest_logfinish(nodeid, location):
    outcome, detail = _state.pop(nodeid, ("passed", ""))
    _write("end", nodeid, outcome, detail)


def pytest_collectreport(report):
    if report.failed:
        _write("collect-error", report.nodeid, _message(report))
    elif report.skipped:  # a whole module skipped (pytest.importorskip at its top)
        _write("collect-skip", report.nodeid, _message(report))
