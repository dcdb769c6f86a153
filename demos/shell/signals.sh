#!/usr/bin/env bash
# signals.sh — signals between bash and shmkit, in both directions: a bash `trap` receives what
# `shmkit signal send` sends, and `shmkit signal wait` receives what bash's `kill` sends.
#
#   demos/shell/signals.sh            (after `make build`)
#
# What to look for: a signal is a tiny message (just its number) from one process to another; the
# receiver decides what it means by installing a handler (`trap` in bash, Signals.handle in Java).
# A sender must not signal before the receiver's handler is installed, or the default action runs
# (for USR1: the receiver dies). On Linux this script waits for that moment by reading the
# receiver's caught-signal mask (SigCgt in /proc/PID/status), never by sleeping.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shmkit=${SHMKIT:-$here/../../bin/shmkit}
[ -x "$shmkit" ] || { echo "build first: make build" >&2; exit 1; }

# On the way out, stop whatever background job is still running (jobs -p lists only the live ones).
cleanup() { local p; for p in $(jobs -p); do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {  # show the command as one would type it, then run it
  printf '$'; local a; for a in "$@"; do [ "$a" = "$shmkit" ] && a=shmkit; printf ' %q' "$a"; done; echo
  "$@"
}

# caught PID SIGNUM: whether PID has a handler for signal SIGNUM (Linux /proc).
caught() {
  local mask
  mask=$(awk '/^SigCgt:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$mask" ] && (( (16#$mask >> ($2 - 1)) & 1 ))
}
# await_handler PID SIGNAME: wait (bounded) until PID handles SIGNAME.
await_handler() {
  local num
  num=$(kill -l "$2")
  if [ ! -r "/proc/$1/status" ]; then sleep 1; return; fi   # no /proc (macOS): give it a moment
  for _ in $(seq 1 3000); do caught "$1" "$num" && return; sleep 0.01; done
  echo "process $1 never installed a $2 handler" >&2; exit 1
}

step "1. Signals have names and per-platform numbers; the JVM keeps some for itself"
run "$shmkit" signal list | head -16

step "2. shmkit -> bash: a bash 'trap' handles what 'shmkit signal send' sends"
receiver() {
  local s
  trap 'echo "  [bash $BASHPID] trap: got USR1"' USR1
  trap 'echo "  [bash $BASHPID] trap: got TERM, cleaning up"; kill $s 2>/dev/null; exit 0' TERM
  # `wait` returns as soon as a trapped signal arrives, so the trap runs at once.
  while :; do sleep 60 & s=$!; wait $s || true; kill $s 2>/dev/null || true; done
}
receiver &
bash_pid=$!
await_handler "$bash_pid" USR1
run "$shmkit" signal send "$bash_pid" USR1
run "$shmkit" signal send "$bash_pid" SIGTERM
wait "$bash_pid"
echo "bash exited with status $? (its TERM trap chose 0)"

step "3. bash -> shmkit: 'shmkit signal wait' prints the signal that bash's kill sent"
"$shmkit" signal wait USR1 TERM --timeout 30s > "${TMPDIR:-/tmp}/shmkit-signals-$$.out" &
waiter=$!
await_handler "$waiter" USR1
run kill -USR1 "$waiter"
status=0; wait "$waiter" || status=$?
echo "shmkit signal wait printed '$(cat "${TMPDIR:-/tmp}/shmkit-signals-$$.out")' and exited with status $status"
rm -f "${TMPDIR:-/tmp}/shmkit-signals-$$.out"
[ "$status" -eq 0 ]

step "4. Nothing arrives: exit status 3 after --timeout"
status=0; run "$shmkit" signal wait ALRM --timeout 300ms || status=$?
echo "exit status $status"
[ "$status" -eq 3 ]

step "5. Is a process there? (kill -0): exists, no-such-process"
run "$shmkit" signal check $$
sleep 0 & gone=$!; wait "$gone"
status=0; run "$shmkit" signal check "$gone" || status=$?
echo "exit status $status for a process that has exited"

step "6. Refusals say why"
run "$shmkit" signal wait KILL 2>&1 || echo "exit status $?"
run "$shmkit" signal wait QUIT 2>&1 || echo "exit status $?"
run "$shmkit" signal send 2147483646 TERM 2>&1 || echo "exit status $?"

echo
echo "signals: done"
