"""Debian source packages for the test suites (czmq's selftest, the drafts build of
the reference libzmq): `apt-get source --download-only` with deb-src enabled in a
private apt configuration under the caller's work directory, so the machine's own
apt setup is left alone. The deb-src entries mirror the machine's deb entries."""

import glob
import os
import re

import clients
from clients import SetupError, log


def apt_options(apt):
    return ["-o", "Dir::Etc::SourceList=/dev/null",
            "-o", "Dir::Etc::SourceParts=" + os.path.join(apt, "sources.list.d"),
            "-o", "Dir::State::Lists=" + os.path.join(apt, "lists"),
            "-o", "APT::Sandbox::User=root"]


def deb_src_sources():
    """The machine's apt sources, as deb-src entries (deb822 and one-line formats)."""
    out = []
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list")) \
        + sorted(glob.glob("/etc/apt/sources.list.d/*.sources"))
    for path in files:
        if not os.path.isfile(path):
            continue
        with open(path) as f:
            text = f.read()
        if path.endswith(".sources"):
            blocks = []
            for block in re.split(r"\n\s*\n", text):
                if re.search(r"^Types:.*\bdeb\b", block, re.M):
                    blocks.append(re.sub(r"^Types:.*$", "Types: deb-src", block, flags=re.M))
            if blocks:
                out.append((os.path.basename(path), "\n\n".join(blocks) + "\n"))
        else:
            lines = [re.sub(r"^deb(\s)", r"deb-src\1", line) for line in text.splitlines()
                     if re.match(r"^deb\s", line)]
            if lines:
                out.append((os.path.basename(path), "\n".join(lines) + "\n"))
    if not out:
        raise SetupError("no apt sources found to enable deb-src from")
    return out


def fetch(package, version, work, setup_log):
    """Downloads `package`'s Debian source package (upstream `version`) once into
    work/downloads; returns its .dsc."""
    apt = os.path.join(work, "apt")
    downloads = os.path.join(work, "downloads")
    pattern = os.path.join(downloads, "%s_%s-*.dsc" % (package, version))
    found = sorted(glob.glob(pattern))
    if found:
        return found[-1]
    log("fetching %s's Debian source package (apt-get source, deb-src enabled)" % package)
    parts = clients.fresh_dir(os.path.join(apt, "sources.list.d"))
    for name, text in deb_src_sources():
        name = re.sub(r"\.(list|sources)$", "", name)
        ext = ".sources" if "Types:" in text else ".list"
        with open(os.path.join(parts, name + "-src" + ext), "w") as f:
            f.write(text)
    os.makedirs(os.path.join(apt, "lists", "partial"), exist_ok=True)
    clients.run(["apt-get"] + apt_options(apt) + ["update"], setup_log)
    os.makedirs(downloads, exist_ok=True)
    clients.run(["apt-get"] + apt_options(apt) + ["source", "--download-only", package],
                setup_log, cwd=downloads)
    found = sorted(glob.glob(pattern))
    if not found:
        got = [os.path.basename(p) for p in glob.glob(os.path.join(downloads, "*.dsc"))]
        raise SetupError("apt-get source %s gave %s, not %s %s"
                         % (package, got, package, version))
    return found[-1]
