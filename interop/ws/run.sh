#!/usr/bin/env bash
# jszmq, an independent implementation of ZWS 2.0 (JavaScript, on Node.js),
# exchanging REQ/REP and PUB/SUB messages with this library over ws://. jszmq
# connects, in each direction of every pattern, to a socket of this library
# bound by zmq_side.c. (jszmq's own listener answers a client's first offered
# subprotocol whatever it speaks, so clients offering ZWS2.0/NULL first, as
# libzmq and this library do, cannot use it.)
#
# usage: interop/ws/run.sh [LIBDIR]    (default: target/release)
# jszmq is installed from the npm registry into build/jszmq once (package-lock.json
# pins it); later runs reuse it.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 2
libdir=$(cd "${1:-target/release}" && pwd) || exit 2

echo "== jszmq (Node.js) against this library over ws"
for tool in node npm; do
    command -v $tool >/dev/null || { echo "jszmq interop: $tool is not installed" >&2; exit 1; }
done
dest=build/jszmq
if ! cmp -s "$here/package-lock.json" "$dest/package-lock.json" || [ ! -d "$dest/node_modules/jszmq" ]; then
    rm -rf "$dest"
    mkdir -p "$dest"
    cp "$here/package.json" "$here/package-lock.json" "$dest/"
    (cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
        echo "jszmq interop: npm ci failed" >&2
        exit 1
    }
fi
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I include -o "$dest/zmq_side" "$here/zmq_side.c" \
    -L "$libdir" -lzmq || exit 1

passed=0
failed=0
# One exchange: zmq_side <ours> binds, driver.js <theirs> connects.
exchange() {
    local ours=$1 theirs=$2 log=$dest/$1
    rm -f "$log.fifo" "$log.out"
    mkfifo "$log.fifo"
    LD_LIBRARY_PATH=$libdir "$dest/zmq_side" "$ours" "ws://127.0.0.1:*/interop-$ours" \
        <"$log.fifo" >"$log.out" 2>&1 &
    local pid=$!
    exec {hold}>"$log.fifo" # the publisher runs until its stdin closes
    local ep="" i
    for i in $(seq 100); do
        ep=$(sed -n 's/^ENDPOINT //p' "$log.out")
        [ -n "$ep" ] && break
        sleep 0.1
    done
    local js=1
    if [ -n "$ep" ]; then
        NODE_PATH=$dest/node_modules timeout 20 node "$here/driver.js" "$theirs" "$ep" >"$log.js" 2>&1
        js=$?
    fi
    exec {hold}>&-
    wait "$pid"
    local side=$?
    rm -f "$log.fifo"
    if [ $js -eq 0 ] && [ $side -eq 0 ]; then
        echo "PASS jszmq $theirs connects to $ours of this library"
        passed=$((passed + 1))
    else
        echo "FAIL jszmq $theirs connects to $ours of this library: jszmq status $js, ours status $side"
        sed 's/^/    jszmq: /' "$log.js" 2>/dev/null
        sed 's/^/    ours: /' "$log.out"
        failed=$((failed + 1))
    fi
}
exchange rep req
exchange req rep
exchange pub sub
exchange sub pub
echo "jszmq interop: $passed passed, $failed failed"
[ $failed -eq 0 ]
