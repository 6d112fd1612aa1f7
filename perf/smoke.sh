#!/bin/sh
# Builds the perf tools and runs each once with a tiny count against the
# library in ZMQ_LIBDIR (default target/release), checking the exit status
# and the output lines. It never judges speed.
#   perf/smoke.sh          inproc tools only
#   perf/smoke.sh --all    also the tcp and ipc tools and the scale programs
# ZMQ_INCLUDE (default include/) chooses the zmq.h the tools are built with.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIBDIR=${ZMQ_LIBDIR:-$ROOT/target/release}
INCLUDE=${ZMQ_INCLUDE:-$ROOT/include}
BUILD=$ROOT/perf/build
ALL=0
for arg in "$@"; do
    case $arg in
    --all) ALL=1 ;;
    *) echo "usage: perf/smoke.sh [--all]" >&2; exit 2 ;;
    esac
done

LIB=""
for name in libzmq.so.5 libzmq.so; do
    if [ -e "$LIBDIR/$name" ]; then
        LIB=$(readlink -f "$LIBDIR/$name")
        break
    fi
done
if [ -z "$LIB" ]; then
    echo "smoke: no libzmq.so.5 or libzmq.so in $LIBDIR" >&2
    exit 1
fi

# A private directory with both names: the linker wants libzmq.so, the
# loader libzmq.so.5 (cargo writes only the former).
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/lib"
ln -s "$LIB" "$TMP/lib/libzmq.so"
ln -s "$LIB" "$TMP/lib/libzmq.so.5"

# -k: a tool that does not build (a missing export, say) fails only its check.
if ! make -s -k -C "$ROOT/perf" ZMQ_INCLUDE="$INCLUDE" ZMQ_LIBDIR="$TMP/lib"; then
    echo "smoke: some perf tools did not build" >&2
fi

LD_LIBRARY_PATH=$TMP/lib
export LD_LIBRARY_PATH
PROBE=$(ls "$BUILD"/*_thr "$BUILD"/*_lat 2>/dev/null | head -n 1)
if [ -z "$PROBE" ]; then
    echo "smoke: no perf tool was built" >&2
    exit 1
fi
LOADED=$(ldd "$PROBE" | sed -n 's/.*libzmq\.so\.5 => \([^ ]*\).*/\1/p')
if [ "$(readlink -f "$LOADED")" != "$LIB" ]; then
    echo "smoke: the tools load '$LOADED', not $LIB" >&2
    exit 1
fi
echo "smoke: tools run against $LIB"

FAILED=0
PASSED=0

# check NAME OUTPUT-FILE STATUS REGEX... : every REGEX must match a line.
check() {
    name=$1 out=$2 status=$3
    shift 3
    problem=""
    if [ "$status" -ne 0 ]; then
        problem="exit status $status"
    else
        for pattern in "$@"; do
            if ! grep -Eq "$pattern" "$out"; then
                problem="no line matching /$pattern/"
                break
            fi
        done
    fi
    if [ -n "$problem" ]; then
        echo "FAIL $name: $problem"
        sed 's/^/    | /' "$out"
        FAILED=$((FAILED + 1))
    else
        echo "ok   $name"
        PASSED=$((PASSED + 1))
    fi
}

THR_LINES='^message size: 64 \[B\]$
^message count: 1000$
^mean throughput: [0-9]+ \[msg/s\]$
^mean throughput: [0-9]+\.[0-9]{3} \[Mb/s\]$'
LAT_LINES='^message size: 64 \[B\]$
^roundtrip count: 100$
^average latency: [0-9]+\.[0-9]{3} \[us\]$'

# run NAME COMMAND... : one process, output into $TMP/NAME.out.
run() {
    name=$1
    shift
    timeout 60 "$@" >"$TMP/$name.out" 2>&1
    echo $? >"$TMP/$name.status"
}

# pair NAME BINDER CONNECTER ENDPOINT SIZE COUNT : two processes; the
# output of both is checked together.
pair() {
    name=$1 binder=$2 connecter=$3 endpoint=$4
    timeout 60 "$BUILD/$binder" "$endpoint" 64 "$5" >"$TMP/$name.bind" 2>&1 &
    bpid=$!
    timeout 60 "$BUILD/$connecter" "$endpoint" 64 "$5" >"$TMP/$name.conn" 2>&1
    cstatus=$?
    wait $bpid
    bstatus=$?
    cat "$TMP/$name.bind" "$TMP/$name.conn" >"$TMP/$name.out"
    if [ $bstatus -ne 0 ]; then echo $bstatus; else echo $cstatus; fi >"$TMP/$name.status"
}

# verify NAME PATTERNS : PATTERNS is a newline-separated list of regexes.
verify() {
    name=$1 patterns=$2
    old_ifs=$IFS
    IFS='
'
    set -f # the patterns hold [ and * : no globbing while splitting
    # shellcheck disable=SC2086
    set -- $patterns
    set +f
    IFS=$old_ifs
    check "$name" "$TMP/$name.out" "$(cat "$TMP/$name.status")" "$@"
}

run inproc_thr "$BUILD/inproc_thr" 64 1000
verify inproc_thr "$THR_LINES"
run inproc_lat "$BUILD/inproc_lat" 64 100
verify inproc_lat "$LAT_LINES"
run proxy_thr "$BUILD/proxy_thr" 64 1000
verify proxy_thr "$THR_LINES"
run scale_poll "$BUILD/scale_poll" 20 10
verify scale_poll '^sockets: 20$
^poll count: 10$
^average poll time: [0-9]+\.[0-9]{3} \[us\]$'

if [ $ALL -eq 1 ]; then
    free_port() {
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    }
    pair tcp_thr local_thr remote_thr "tcp://127.0.0.1:$(free_port)" 1000
    verify tcp_thr "$THR_LINES"
    pair tcp_lat local_lat remote_lat "tcp://127.0.0.1:$(free_port)" 100
    verify tcp_lat "$LAT_LINES"
    pair ipc_thr local_thr remote_thr "ipc://$TMP/thr.ipc" 1000
    verify ipc_thr "$THR_LINES"
    pair ipc_lat local_lat remote_lat "ipc://$TMP/lat.ipc" 100
    verify ipc_lat "$LAT_LINES"
    run scale_router "$BUILD/scale_router" "tcp://127.0.0.1:$(free_port)" 20 16 5
    verify scale_router '^connections: 20$
^connect time: [0-9]+\.[0-9]{3} \[ms\]$
^memory per connection: -?[0-9]+\.[0-9]{3} \[KiB\]$
^message count: 100$
^mean throughput: [0-9]+ \[msg/s\]$'
    run scale_pubsub "$BUILD/scale_pubsub" "tcp://127.0.0.1:$(free_port)" 5 16 100
    verify scale_pubsub '^subscribers: 5$
^delivered count: 500$
^mean throughput: [0-9]+ \[msg/s\]$'
    run scale_idle "$BUILD/scale_idle" "tcp://127.0.0.1:$(free_port)" 20 16 50
    verify scale_idle '^idle connections: 20$
^roundtrip count: 50$
^average latency: [0-9]+\.[0-9]{3} \[us\]$
^cpu per roundtrip: [0-9]+\.[0-9]{3} \[us\]$'
fi

echo "smoke: $PASSED passed, $FAILED failed"
[ $FAILED -eq 0 ]
