#!/usr/bin/env bash
# lock-run.sh — `shmkit lock run` from several concurrent shells, like flock(1) but with a lock
# that survives the death of its holder. Four background shells append to one file; each
# append is a read-modify-write of a counter file, safe only under the lock.
#
#   demos/shell/lock-run.sh            (after `make build`)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shmkit=${SHMKIT:-$here/../../bin/shmkit}
[ -x "$shmkit" ] || { echo "build first: make build" >&2; exit 1; }

lock="shmkit-demo-lock-$$"
work=$(mktemp -d)
cleanup() { "$shmkit" lock rm --force "$lock"; rm -rf "$work"; }
trap cleanup EXIT
echo 0 > "$work/counter"

increment() {  # read, pause, write: loses updates unless serialized
  "$shmkit" lock run "$lock" --timeout 30s -- sh -c '
    n=$(cat "$1"); echo "shell $2 holds the lock (counter $n)"; echo $((n + 1)) > "$1"' sh "$work/counter" "$1"
}

echo "== four shells, three increments each, all through 'shmkit lock run $lock'"
pids=()
for shell in 1 2 3 4; do
  ( for i in 1 2 3; do increment "$shell"; done ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
echo "counter = $(cat "$work/counter") (expected 12)"
[ "$(cat "$work/counter")" = 12 ]

echo
echo "== a holder killed with SIGKILL does not leave the lock stuck"
"$shmkit" lock run "$lock" -- sh -c 'echo "holder $$ has the lock and sleeps"; exec sleep 60' &
holder=$!
# Wait until the holder's JVM owns the lock (no fixed sleep: poll lock info, bounded).
for _ in $(seq 1 100); do
  "$shmkit" lock info "$lock" 2>/dev/null | grep -q '^held: yes' && break
done
"$shmkit" lock info "$lock"
kill -KILL "$holder"; wait "$holder" 2>/dev/null || true
pkill -f "sleep 60" 2>/dev/null || true
"$shmkit" lock run "$lock" --timeout 5s -- echo "the next shell got the lock"
"$shmkit" lock info "$lock" | grep recoveries
echo
echo "lock-run: done"
