#!/usr/bin/env bash
# The interop step of `make test`: builds interop/peer.c, checks that the library
# has tcp (a failure if not), then
# runs interop/run.py (this library against the real libzmq, both ways) and
# interop/mock_peers.py (mock ZMTP peers against this library) and
# interop/wire_attack.py (hostile peers on raw sockets against this library),
# interop/ws/run.sh (jszmq, the JavaScript ZWS port on Node.js, over ws://) and
# interop/draft.py (the draft socket types against a drafts build of libzmq, when
# ZMQ_DRAFT_LIB names one; skipped otherwise).
#
# usage: interop/check.sh [LIBDIR]     (default: target/release)
# Environment: ZMQ_REAL_LIB  the real libzmq.so.5 (default: the system's one)
#              ZMQ_DRAFT_LIB a libzmq.so.5 built with its draft API (optional)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
cd "$root" || exit 2

echo "== interop"
libdir=${1:-target/release}
if [ -z "${ZMQ_REAL_LIB:-}" ]; then
    multiarch=$(gcc -print-multiarch 2>/dev/null || true)
    ZMQ_REAL_LIB=/usr/lib/${multiarch:-x86_64-linux-gnu}/libzmq.so.5
fi
if [ ! -e "$ZMQ_REAL_LIB" ]; then
    echo "interop: the real libzmq ($ZMQ_REAL_LIB) is not installed (libzmq5)" >&2
    exit 1
fi
ours=""
for f in "$libdir/libzmq.so.5" "$libdir/libzmq.so"; do
    if [ -e "$f" ]; then
        ours=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
        break
    fi
done
if [ -z "$ours" ]; then
    echo "interop: no libzmq.so in '$libdir' (build the library first)" >&2
    exit 1
fi

out=build/interop
rm -rf "$out"
mkdir -p "$out/link" "$out/lib-ours"
ln -s "$ZMQ_REAL_LIB" "$out/link/libzmq.so"
ln -s "$ours" "$out/lib-ours/libzmq.so.5"
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I include -o "$out/peer" interop/peer.c \
    -L "$out/link" -lzmq || {
    echo "interop: interop/peer.c does not compile" >&2
    exit 1
}

LD_LIBRARY_PATH=$out/lib-ours timeout 20 "$out/peer" probe tcp >/dev/null
rc=$?
if [ $rc -ne 0 ]; then
    echo "interop: the tcp probe failed (status $rc)" >&2
    exit 1
fi

status=0
echo "-- this library against the real libzmq"
python3 interop/run.py --lib "$libdir" --peer "$out/peer" || status=1
echo "-- mock ZMTP peers against this library"
python3 interop/mock_peers.py --lib "$libdir" --peer "$out/peer" || status=1
echo "-- hostile peers against this library"
python3 interop/wire_attack.py --lib "$libdir" --peer "$out/peer" || status=1
echo "-- jszmq (an independent ZWS 2.0 implementation) against this library"
bash interop/ws/run.sh "$libdir" || status=1
echo "-- draft socket types against libzmq's draft API"
python3 interop/draft.py --lib "$libdir" || status=1
exit $status
