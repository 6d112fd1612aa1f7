#!/usr/bin/env python3
"""Checks include/zmq.h and the built library against libzmq 4.3.5's ABI description.

Usage: python3 tests/abi/check.py <zmq-4.3.5.abi> <include-dir> <libzmq.so>

The ABI description lists every constant, type layout and function of libzmq's C API
(CONST, FEATURE, ERRNO, TYPE and FUNC lines). This script:

  * checks that tests/abi/functions.txt (build.rs's copy of the FUNC lines) is current;
  * compiles C11 translation units with -Wall -Wextra -Werror that, with
    ZMQ_BUILD_DRAFT_API defined, assert every constant's value, every type's size,
    alignment and field offsets, and assign every function to a pointer of exactly its
    prototype's type; and without it, check that draft items are absent and stable ones
    present; runs a small program comparing the string constants;
  * compiles a C++ translation unit (the header must be usable from C++, with C linkage);
  * checks that each prototype in the header reads as the ABI writes it;
  * reads the library's dynamic symbols: every exported zmq_* symbol must be an ABI
    function, every ABI function must be exported (the draft ones too), and the SONAME
    must be libzmq.so.5.

Exits non-zero on any failure, printing what failed.
"""

import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CC = os.environ.get("CC", "gcc")
CXX = os.environ.get("CXX", "g++")
CFLAGS = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"]
CXXFLAGS = ["-std=c++11", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# Where the ABI description and libzmq's own header disagree, the header follows libzmq,
# since programs were written against it: libzmq 4.3 declares the timer API, its callback
# type zmq_timer_fn and the ZMQ_HAVE_TIMERS macro in its stable section (the zmq_timers_*
# functions are stable in the ABI description too, and need zmq_timer_fn).
STABLE_IN_LIBZMQ = {"ZMQ_HAVE_TIMERS", "zmq_timer_fn"}

failures = []


def fail(what):
    failures.append(what)
    print("FAIL: " + what)


def ok(what):
    print("ok: " + what)


class Abi:
    def __init__(self, path):
        self.consts = []  # (name, value, draft)
        self.features = []  # (name, draft)
        self.errnos = []  # (name, value)
        self.types = []  # (name, layout, draft)
        self.funcs = []  # (name, prototype, draft)
        self.func_lines = []
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                kind, _, rest = line.partition(" ")
                if not self._parse(kind, rest.strip()):
                    raise SystemExit("%s:%d: cannot parse: %s" % (path, lineno, line))

    def _parse(self, kind, rest):
        if kind == "CONST":
            m = re.fullmatch(r'(\w+) ("[^"]*"|-?\d+) (stable|draft)', rest)
            if m:
                self.consts.append((m.group(1), m.group(2), m.group(3) == "draft"))
            return m
        if kind == "FEATURE":
            m = re.fullmatch(r"(\w+) (stable|draft)", rest)
            if m:
                self.features.append((m.group(1), m.group(2) == "draft"))
            return m
        if kind == "ERRNO":
            m = re.fullmatch(r"(\w+) (-?\d+)", rest)
            if m:
                self.errnos.append((m.group(1), m.group(2)))
            return m
        if kind == "TYPE":
            m = re.fullmatch(r"(\w+)\s+(.*)", rest)
            if m:
                layout = m.group(2)
                draft = layout.endswith("(draft)")
                if draft:
                    layout = layout[: -len("(draft)")].strip()
                self.types.append((m.group(1), layout, draft))
            return m
        if kind == "FUNC":
            m = re.fullmatch(r"(stable|draft) (.*\b(\w+)\s*\(.*\);)", rest)
            if m:
                self.funcs.append((m.group(3), m.group(2), m.group(1) == "draft"))
                self.func_lines.append("FUNC " + rest)
            return m
        return None


# zmq_ppoll takes a POSIX sigset_t, which strict C11 sees only when POSIX is asked for.
DRAFT_PRELUDE = ["#define _POSIX_C_SOURCE 200809L", "#define ZMQ_BUILD_DRAFT_API"]


def draft_in_header(name, draft):
    return draft and name not in STABLE_IN_LIBZMQ


def split_prototype(prototype):
    """'char *zmq_x(char *a, int b);' -> ('char *', 'zmq_x', 'char *a, int b')."""
    m = re.fullmatch(r"(.*?)\b(\w+)\s*\((.*)\);", prototype.strip())
    return m.group(1).strip(), m.group(2), m.group(3).strip()


def pointer_decl(prototype, var):
    """A declaration of `var` as a pointer to the prototype's function type."""
    ret, _, params = split_prototype(prototype)
    return "%s (*%s)(%s)" % (ret, var, params)


def type_checks(abi, draft_mode):
    """C11 statements checking each TYPE present in this mode, and absent draft ones."""
    out = []
    for name, layout, draft in abi.types:
        if draft_in_header(name, draft) and not draft_mode:
            # Absent: a typedef of another type would conflict with the header's.
            out.append("typedef struct abi_absent %s;" % name)
            continue
        tag = "TYPE %s" % name
        m = re.fullmatch(r"struct \{(.*)\}.*: size (\d+), align (\d+)(?: \(.*\))?", layout)
        if m:
            fields = [f.strip() for f in m.group(1).split(";") if f.strip()]
            out.append("struct abi_ref_%s { %s; };" % (name, "; ".join(fields)))
            out.append('_Static_assert(sizeof(%s) == %s, "%s: size");' % (name, m.group(2), tag))
            out.append('_Static_assert(_Alignof(%s) == %s, "%s: align");' % (name, m.group(3), tag))
            for field in fields:
                fname = re.search(r"(\w+)(\[\d+\])?$", field).group(1)
                out.append(
                    '_Static_assert(offsetof(%s, %s) == offsetof(struct abi_ref_%s, %s), '
                    '"%s: offset of %s");' % (name, fname, name, fname, tag, fname)
                )
                out.append(
                    "_Static_assert(__builtin_types_compatible_p(__typeof__(((%s *)0)->%s), "
                    '__typeof__(((struct abi_ref_%s *)0)->%s)), "%s: type of %s");'
                    % (name, fname, name, fname, tag, fname)
                )
            continue
        m = re.fullmatch(r"struct (\w+) from .*", layout)
        if m:
            # Forward-declared by the header: usable as an incomplete type.
            out.append("struct %s *abi_check_%s_ptr;" % (m.group(1), name))
            continue
        m = re.fullmatch(r"(\w[\w ]*?) \(([^()]*)\)", layout)
        param = r"\s*(const )?\w+( \w+)?\s*\**\s*\w*\s*"
        if m and all(re.fullmatch(param, p) for p in m.group(2).split(",")):
            # A function type, as libzmq declares its callbacks (not a pointer type).
            out.append(
                '_Static_assert(__builtin_types_compatible_p(%s, %s (%s)), "%s");'
                % (name, m.group(1), m.group(2), tag)
            )
            continue
        m = re.fullmatch(r"((?:unsigned |signed )?(?:int|short|long|char))(?: \(.*\))?", layout)
        if m:
            out.append(
                '_Static_assert(__builtin_types_compatible_p(%s, %s), "%s");'
                % (name, m.group(1), tag)
            )
            continue
        fail("%s: unrecognised layout in the ABI description: %s" % (tag, layout))
    return out


def c_unit(abi, draft_mode):
    lines = []
    if draft_mode:
        lines += DRAFT_PRELUDE
    lines += ["#include <zmq.h>", "#include <zmq.h> /* the include guard */", "#include <stddef.h>", ""]
    lines.append("struct abi_absent;")
    for name, value, draft in abi.consts:
        if draft and not draft_mode:
            lines += ["#ifdef %s" % name, '#error "draft %s defined without ZMQ_BUILD_DRAFT_API"' % name, "#endif"]
            continue
        lines += ["#ifndef %s" % name, '#error "%s not defined"' % name, "#endif"]
        if not value.startswith('"'):
            lines.append('_Static_assert((%s) == (%s), "CONST %s");' % (name, value, name))
    for name, draft in abi.features:
        if draft_in_header(name, draft) and not draft_mode:
            lines += ["#ifdef %s" % name, '#error "draft %s defined without ZMQ_BUILD_DRAFT_API"' % name, "#endif"]
        else:
            lines += ["#ifndef %s" % name, '#error "%s not defined"' % name, "#endif"]
    for name, value in abi.errnos:
        lines += ["#ifndef %s" % name, '#error "%s not defined"' % name, "#endif"]
        lines.append('_Static_assert((%s) == (%s), "ERRNO %s");' % (name, value, name))
    lines += type_checks(abi, draft_mode)
    for name, prototype, draft in abi.funcs:
        if draft and not draft_mode:
            # Absent: a declaration with another type would conflict with the header's.
            lines.append("struct abi_absent *%s(struct abi_absent *);" % name)
        else:
            lines.append("%s = %s;" % (pointer_decl(prototype, "abi_check_" + name), name))
    return "\n".join(lines) + "\n"


def strings_program(abi):
    lines = DRAFT_PRELUDE + ["#include <zmq.h>", "#include <stdio.h>", "#include <string.h>", "",
             "int main(void)", "{", "    int failed = 0;"]
    for name, value, _ in abi.consts:
        if value.startswith('"'):
            lines.append(
                '    if (strcmp(%s, %s) != 0) { printf("%s is \\"%%s\\", not %%s\\n", %s, %s); failed = 1; }'
                % (name, value, name, name, json_c(value))
            )
    lines += ["    return failed;", "}"]
    return "\n".join(lines) + "\n"


def json_c(value):
    """A C string literal whose text is the given C string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cxx_unit(abi, draft_mode):
    lines = DRAFT_PRELUDE if draft_mode else []
    lines = lines + ["#include <zmq.h>", "#include <zmq_utils.h>", "", 'extern "C++" {']
    for name, prototype, draft in abi.funcs:
        if draft and not draft_mode:
            continue
        # C++ has no implicit conversions between function pointer types: exact match.
        lines.append("%s = %s;" % (pointer_decl(prototype, "abi_check_" + name), name))
    lines += ["}", "int main() { zmq_msg_t msg; zmq_pollitem_t item = zmq_pollitem_t(); (void)item;",
              "  return zmq_msg_init(&msg); }"]
    return "\n".join(lines) + "\n"


def run(cmd, what):
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        fail("%s:\n  $ %s\n%s%s" % (what, " ".join(cmd), proc.stdout, proc.stderr))
        return False
    return True


def check_function_list(abi):
    path = os.path.join(HERE, "functions.txt")
    with open(path, encoding="utf-8") as f:
        ours = [l.strip() for l in f if l.strip().startswith("FUNC ")]
    if sorted(ours) == sorted(abi.func_lines):
        ok("tests/abi/functions.txt matches the FUNC lines of the ABI description")
        return
    for line in sorted(set(abi.func_lines) - set(ours)):
        fail("tests/abi/functions.txt lacks: " + line)
    for line in sorted(set(ours) - set(abi.func_lines)):
        fail("tests/abi/functions.txt has, the ABI description does not: " + line)


C_TYPE_WORDS = {"void", "char", "short", "int", "long", "unsigned", "signed", "const", "struct"}


def parse_params(prototype):
    """[(type tokens, name or None)] of a prototype's parameters, spacing-independent."""
    ret, name, params = split_prototype(prototype)
    out = []
    for p in params.split(","):
        tokens = re.findall(r"\w+|\*", p)
        last = tokens[-1] if tokens else None
        if len(tokens) > 1 and last != "*" and last not in C_TYPE_WORDS:
            out.append((tokens[:-1], last))
        else:
            out.append((tokens, None))
    return re.findall(r"\w+|\*", ret), name, out


def same_prototype(header_decl, abi_decl):
    """Same return type, types and parameter names; a parameter the ABI leaves unnamed
    may have any name."""
    h_ret, h_name, h_params = parse_params(header_decl)
    a_ret, a_name, a_params = parse_params(abi_decl)
    if (h_ret, h_name, len(h_params)) != (a_ret, a_name, len(a_params)):
        return False
    return all(
        h_types == a_types and (a_param is None or h_param == a_param)
        for (h_types, h_param), (a_types, a_param) in zip(h_params, a_params)
    )


def check_prototypes(abi, include_dir):
    with open(os.path.join(include_dir, "zmq.h"), encoding="utf-8") as f:
        header = f.read()
    declared = {}
    for m in re.finditer(r"^ZMQ_EXPORT (.*?;)$", header, re.M):
        _, name, _ = split_prototype(m.group(1))
        declared.setdefault(name, []).append(m.group(1))
    bad = 0
    for name, prototype, _ in abi.funcs:
        found = declared.pop(name, [])
        if len(found) != 1:
            fail("zmq.h declares %s %d times (expected once)" % (name, len(found)))
            bad += 1
        elif not same_prototype(found[0], prototype):
            fail("zmq.h declares `%s`; the ABI writes `%s`" % (found[0], prototype))
            bad += 1
    for name in sorted(declared):
        fail("zmq.h declares %s, which is not an ABI function" % name)
        bad += 1
    if not bad:
        ok("every ABI function is declared once in zmq.h, spelled as the ABI writes it")


def check_library(abi, library):
    proc = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True)
    if proc.returncode != 0:
        fail("nm -D %s: %s" % (library, proc.stderr.strip()))
        return
    exported = set()
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TtWwi":
            exported.add(parts[2])
    abi_names = {name for name, _, _ in abi.funcs}
    zmq_exported = {s for s in exported if s.startswith("zmq_")}
    stray = sorted(zmq_exported - abi_names)
    for sym in stray:
        fail("the library exports %s, which is not an ABI function" % sym)
    if not stray:
        ok("every exported zmq_* symbol (%d) is an ABI function" % len(zmq_exported))
    others = sorted(s for s in exported if not s.startswith("zmq_"))
    if others:
        print("note: other exported symbols: " + " ".join(others))
    missing = [(name, draft) for name, _, draft in abi.funcs if name not in exported]
    if missing:
        for name, draft in sorted(missing):
            fail("the ABI function %s%s is not exported" % (name, " (draft)" if draft else ""))
    else:
        ok("all %d ABI functions are exported" % len(abi.funcs))

    proc = subprocess.run(["objdump", "-p", library], capture_output=True, text=True)
    soname = re.search(r"^\s*SONAME\s+(\S+)", proc.stdout, re.M)
    if soname and soname.group(1) == "libzmq.so.5":
        ok("SONAME is libzmq.so.5")
    else:
        fail("SONAME is %s, not libzmq.so.5" % (soname.group(1) if soname else "missing"))


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    abi_path, include_dir, library = sys.argv[1:]
    abi = Abi(abi_path)
    for name in sorted(STABLE_IN_LIBZMQ):
        print("note: %s is stable in zmq.h, as in libzmq 4.3 (the ABI description marks it draft)" % name)

    check_function_list(abi)
    check_prototypes(abi, include_dir)

    inc = ["-I", include_dir]
    with tempfile.TemporaryDirectory() as tmp:
        def path(name, text):
            p = os.path.join(tmp, name)
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
            return p

        src = path("abi_draft.c", c_unit(abi, True))
        if run([CC] + CFLAGS + inc + ["-c", src, "-o", os.path.join(tmp, "abi_draft.o")],
               "C11 check with ZMQ_BUILD_DRAFT_API (constants, types, prototypes)"):
            ok("C11 with ZMQ_BUILD_DRAFT_API: %d constants, %d types, %d functions"
               % (len(abi.consts) + len(abi.errnos), len(abi.types), len(abi.funcs)))

        src = path("abi_stable.c", c_unit(abi, False))
        if run([CC] + CFLAGS + inc + ["-c", src, "-o", os.path.join(tmp, "abi_stable.o")],
               "C11 check without ZMQ_BUILD_DRAFT_API (stable items present, draft ones absent)"):
            ok("C11 without ZMQ_BUILD_DRAFT_API: stable items present, draft items absent")

        src = path("abi_strings.c", strings_program(abi))
        exe = os.path.join(tmp, "abi_strings")
        if run([CC] + CFLAGS + inc + [src, "-o", exe], "string constants program") and run(
            [exe], "string constants"
        ):
            ok("string constants")

        for draft_mode in (True, False):
            mode = "with" if draft_mode else "without"
            src = path("abi_cxx.cpp", cxx_unit(abi, draft_mode))
            obj = os.path.join(tmp, "abi_cxx.o")
            if not run([CXX] + CXXFLAGS + inc + ["-c", src, "-o", obj],
                       "C++ check %s ZMQ_BUILD_DRAFT_API" % mode):
                continue
            undefined = subprocess.run(["nm", "-u", obj], capture_output=True, text=True).stdout
            mangled = [l.split()[-1] for l in undefined.splitlines() if "zmq_" in l and "_Z" in l]
            if mangled:
                more = " and %d more" % (len(mangled) - 3) if len(mangled) > 3 else ""
                fail("C++ sees zmq.h's functions without C linkage: %s%s" % (" ".join(mangled[:3]), more))
            else:
                ok("C++ %s ZMQ_BUILD_DRAFT_API: zmq.h and zmq_utils.h compile, functions have "
                   "C linkage and exact types" % mode)

    check_library(abi, library)

    if failures:
        print("\n%d check(s) failed" % len(failures))
        return 1
    print("\nall ABI checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
