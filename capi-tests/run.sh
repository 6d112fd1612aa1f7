#!/usr/bin/env bash
# Builds every capi-tests/test_*.c (and test_*.cpp, with g++) against include/zmq.h and
# runs each program twice:
# on this library ("ours") and on the system's real libzmq ("libzmq"), the very same
# binary in both modes, switched by LD_LIBRARY_PATH.
#
# usage: capi-tests/run.sh [--only ours|libzmq] [name-filter...]
#
# Environment:
#   ZMQ_INCLUDE   directory holding zmq.h             (default: include)
#   ZMQ_LIBDIR    directory holding this libzmq.so    (default: target/release)
#   ZMQ_REAL_LIB  the real libzmq.so.5                (default: the system's multiarch one)
#   JOBS          tests run in parallel, 1 or 2       (default: 2)
#   ZMQ_DRAFT_LIB a libzmq.so.5 built with its draft API (optional): the skipped tests
#                 marked "// libzmq-draft: ok" run on it instead
#
# A test marked with a line "// libzmq: skip <reason>" is not run in libzmq mode.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 2

only=""
filters=()
while [ $# -gt 0 ]; do
    case "$1" in
    --only)
        only=${2:-}
        [ "$only" = ours ] || [ "$only" = libzmq ] || {
            echo "run.sh: --only takes 'ours' or 'libzmq'" >&2
            exit 2
        }
        shift 2
        ;;
    --only=*)
        only=${1#--only=}
        [ "$only" = ours ] || [ "$only" = libzmq ] || {
            echo "run.sh: --only takes 'ours' or 'libzmq'" >&2
            exit 2
        }
        shift
        ;;
    -h | --help)
        sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        filters+=("$1")
        shift
        ;;
    esac
done

abspath() { (cd "$1" 2>/dev/null && pwd); }

inc=${ZMQ_INCLUDE:-include}
libdir=${ZMQ_LIBDIR:-target/release}
jobs=${JOBS:-2}
case "$jobs" in 1 | 2) ;; *) jobs=2 ;; esac
if [ -z "${ZMQ_REAL_LIB:-}" ]; then
    multiarch=$(gcc -print-multiarch 2>/dev/null || true)
    ZMQ_REAL_LIB=/usr/lib/${multiarch:-x86_64-linux-gnu}/libzmq.so.5
fi

if [ ! -f "$inc/zmq.h" ]; then
    echo "run.sh: no zmq.h in '$inc' (set ZMQ_INCLUDE)" >&2
    exit 2
fi
inc=$(abspath "$inc")
libdir_abs=$(abspath "$libdir") || {
    echo "run.sh: library directory '$libdir' does not exist (set ZMQ_LIBDIR or build first)" >&2
    exit 2
}
libdir=$libdir_abs

work=$(mktemp -d "${TMPDIR:-/tmp}/capi-tests.XXXXXX")
trap 'rm -rf "$work"' EXIT
bindir=$root/build/capi-tests
mkdir -p "$bindir" "$work/res" "$work/lib-ours" "$work/lib-libzmq"

# Each mode gets a directory holding exactly one libzmq.so.5.
want_ours=1
want_libzmq=1
[ "$only" = libzmq ] && want_ours=0
[ "$only" = ours ] && want_libzmq=0
if [ $want_ours = 1 ]; then
    if [ -e "$libdir/libzmq.so.5" ]; then
        ln -s "$libdir/libzmq.so.5" "$work/lib-ours/libzmq.so.5"
    elif [ -e "$libdir/libzmq.so" ]; then
        ln -s "$libdir/libzmq.so" "$work/lib-ours/libzmq.so.5"
    else
        echo "run.sh: no libzmq.so in '$libdir' (build the library first)" >&2
        exit 2
    fi
fi
if [ $want_libzmq = 1 ]; then
    if [ ! -e "$ZMQ_REAL_LIB" ]; then
        echo "run.sh: the real libzmq '$ZMQ_REAL_LIB' is missing (install libzmq5 or set ZMQ_REAL_LIB)" >&2
        exit 2
    fi
    ln -s "$ZMQ_REAL_LIB" "$work/lib-libzmq/libzmq.so.5"
    if [ -n "${ZMQ_DRAFT_LIB:-}" ]; then
        [ -e "$ZMQ_DRAFT_LIB" ] || {
            echo "run.sh: ZMQ_DRAFT_LIB '$ZMQ_DRAFT_LIB' does not exist" >&2
            exit 2
        }
        mkdir -p "$work/lib-draft"
        ln -s "$ZMQ_DRAFT_LIB" "$work/lib-draft/libzmq.so.5"
    fi
fi

selected() {
    local name=$1 f
    [ ${#filters[@]} -eq 0 ] && return 0
    for f in "${filters[@]}"; do
        case "$name" in *"$f"*) return 0 ;; esac
    done
    return 1
}

passed=0
failed=0
skipped=0

tests=()
for src in "$here"/test_*.c "$here"/test_*.cpp; do
    [ -e "$src" ] || continue
    name=$(basename "$src")
    name=${name%.c}
    name=${name%.cpp}
    selected "$name" && tests+=("$name")
done
if [ ${#tests[@]} -eq 0 ]; then
    echo "run.sh: no test matches" >&2
    echo "0 passed, 0 failed"
    exit 1
fi

modes=()
[ $want_ours = 1 ] && modes+=(ours)
[ $want_libzmq = 1 ] && modes+=(libzmq)

# The source of a test: test_x.c, or test_x.cpp.
src_of() {
    if [ -e "$here/$1.c" ]; then echo "$here/$1.c"; else echo "$here/$1.cpp"; fi
}
skip_reason() {
    sed -n 's|^[[:space:]]*//[[:space:]]*libzmq:[[:space:]]*skip[[:space:]]*||p' "$(src_of "$1")" | head -n 1
}
is_skipped() {
    grep -Eq '^[[:space:]]*//[[:space:]]*libzmq:[[:space:]]*skip' "$(src_of "$1")" || return 1
    # With a drafts build at hand, the tests marked as holding on it run on it.
    if [ -n "${ZMQ_DRAFT_LIB:-}" ] && on_draft_lib "$1"; then
        return 1
    fi
    return 0
}
# Whether a test is marked as holding on libzmq built with its draft API.
on_draft_lib() {
    grep -Eq '^[[:space:]]*//[[:space:]]*libzmq-draft:[[:space:]]*ok' "$(src_of "$1")"
}
# The library directory a test runs on in a mode.
lib_dir() {
    if [ "$2" = libzmq ] && [ -n "${ZMQ_DRAFT_LIB:-}" ] && on_draft_lib "$1"; then
        echo "$work/lib-draft"
    else
        echo "$work/lib-$2"
    fi
}

# Build phase: a test that does not compile fails in every mode it would run in.
# A test that would run in no selected mode is not built.
runnable=()
for name in "${tests[@]}"; do
    if [ "${modes[*]}" = libzmq ] && is_skipped "$name"; then
        runnable+=("$name")
        continue
    fi
    src=$(src_of "$name")
    if [ "${src%.cpp}" != "$src" ]; then
        compile=(g++ -std=c++11 -Wall -Wextra -Werror -pedantic)
    else
        compile=(gcc -std=c11 -Wall -Wextra -Werror)
    fi
    if "${compile[@]}" -D_GNU_SOURCE -I "$inc" -pthread \
        -o "$bindir/$name" "$src" -L "$libdir" -lzmq \
        >"$work/$name.build" 2>&1; then
        runnable+=("$name")
    else
        for mode in "${modes[@]}"; do
            if [ "$mode" = libzmq ] && is_skipped "$name"; then
                echo "SKIP $name [$mode]: $(skip_reason "$name")"
                skipped=$((skipped + 1))
            else
                echo "FAIL $name [$mode]: does not compile"
                failed=$((failed + 1))
            fi
        done
        sed 's/^/    /' "$work/$name.build"
    fi
done

# Each job leaves "<id>.done" holding its report; the first line is the verdict.
run_one() {
    local name=$1 mode=$2 id="$1.$2" rc
    (
        cd "$work" || exit 2
        LD_LIBRARY_PATH="$(lib_dir "$name" "$mode")" timeout -k 5 60 "$bindir/$name" \
            >"$work/res/$id.stdout" 2>"$work/res/$id.stderr"
    )
    rc=$?
    {
        if [ $rc -eq 0 ]; then
            echo "PASS $name [$mode]"
        else
            if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                echo "FAIL $name [$mode]: timed out"
            elif [ $rc -gt 128 ]; then
                echo "FAIL $name [$mode]: killed by signal $((rc - 128))"
            else
                echo "FAIL $name [$mode]: exit status $rc"
            fi
            sed 's/^/    /' "$work/res/$id.stderr"
        fi
    } >"$work/res/$id.tmp"
    mv "$work/res/$id.tmp" "$work/res/$id.done"
}

report_done() {
    local f first
    for f in "$work"/res/*.done; do
        [ -e "$f" ] || continue
        cat "$f"
        first=$(head -n 1 "$f")
        case "$first" in
        PASS*) passed=$((passed + 1)) ;;
        *) failed=$((failed + 1)) ;;
        esac
        mv "$f" "${f%.done}.reported"
    done
}

running=0
for name in "${runnable[@]}"; do
    for mode in "${modes[@]}"; do
        if [ "$mode" = libzmq ] && is_skipped "$name"; then
            reason=$(skip_reason "$name")
            echo "SKIP $name [$mode]: ${reason:-no reason given}"
            skipped=$((skipped + 1))
            continue
        fi
        while [ $running -ge "$jobs" ]; do
            wait -n
            running=$((running - 1))
            report_done
        done
        run_one "$name" "$mode" &
        running=$((running + 1))
    done
done
wait
report_done

summary="$passed passed, $failed failed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ $failed -eq 0 ]
