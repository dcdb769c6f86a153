#!/usr/bin/env bash
# message-queues.sh — kernel message queues from the shell: a POSIX queue (mq_open, Linux) whose
# messages come out by priority, and a System V queue (msgget, Linux and macOS) whose messages are
# picked by type. Every queue it creates is removed at the end, even on error.
#
#   demos/shell/message-queues.sh            (after `make build`)
#
# What to look for: unlike a pipe, a queue keeps message boundaries and outlives the processes that
# use it; a full or empty queue makes the caller wait, and --timeout turns that wait into exit
# status 3 instead of hanging.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shmkit=${SHMKIT:-$here/../../bin/shmkit}
[ -x "$shmkit" ] || { echo "build first: make build" >&2; exit 1; }

mq="/shmkit-demo-mq-$$"
key=$(printf '0x5e%06x' $(( $$ & 0xffffff )))
finished=
cleanup() {  # only needed when the script stops half-way: it removes both queues itself
  [ -n "$finished" ] && return
  if [ "$(uname -s)" = Linux ]; then "$shmkit" mq rm --force "$mq"; fi
  "$shmkit" msgq rm --force --key "$key"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {  # show the command as one would type it, then run it
  printf '$'; local a; for a in "$@"; do [ "$a" = "$shmkit" ] && a=shmkit; printf ' %q' "$a"; done; echo
  "$@"
}

if [ "$(uname -s)" = Linux ]; then
  step "1. A POSIX message queue: at most 4 messages of at most 256 bytes, mode 0600"
  run "$shmkit" mq create "$mq" --max-messages 4 --message-size 256

  step "2. Four senders, four priorities (each shmkit is a separate process)"
  run "$shmkit" mq send "$mq" "rotate the logs" --priority 1
  run "$shmkit" mq send "$mq" "page the on-call engineer" --priority 9
  echo "rebuild the search index" | run "$shmkit" mq send "$mq" --priority 5
  run "$shmkit" mq send "$mq" "send the newsletter" --priority 1
  run "$shmkit" mq info "$mq"
  if [ -e "/dev/mqueue$mq" ]; then
    echo "The kernel's own view (/dev/mqueue is mounted):"
    run cat "/dev/mqueue$mq"; echo
  fi

  step "3. The queue is full: a fifth sender waits, and gives up after --timeout (exit status 3)"
  status=0; run "$shmkit" mq send "$mq" "one too many" --timeout 300ms || status=$?
  echo "exit status $status"
  [ "$status" -eq 3 ]

  step "4. Receivers get the highest priority first, first-in first-out within a priority"
  for _ in 1 2 3 4; do
    printf '  '; "$shmkit" mq receive "$mq" --with-priority | tr -d '\n'; echo
  done

  step "5. Another language on the same queue: python3 (standard library ctypes) sends, shmkit receives"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$mq" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
libc.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
q = libc.mq_open(sys.argv[1].encode(), os.O_WRONLY)
msg = b"hello from python"
assert q >= 0 and libc.mq_send(q, msg, len(msg), 7) == 0, os.strerror(ctypes.get_errno())
print("  [python %d] sent %r with priority 7" % (os.getpid(), msg.decode()))
PY
    printf '  [shmkit] received: '; "$shmkit" mq receive "$mq" --with-priority; echo
  else
    echo "(no python3 here)"
  fi

  step "6. The queue is empty: a receiver waits, and gives up after --timeout (exit status 3)"
  status=0; run "$shmkit" mq receive "$mq" --timeout 300ms || status=$?
  echo "exit status $status"
  [ "$status" -eq 3 ]

  step "7. A message larger than the queue allows is refused, not truncated"
  status=0; head -c 300 /dev/zero | run "$shmkit" mq send "$mq" 2>&1 || status=$?
  echo "exit status $status"
  run "$shmkit" mq rm "$mq"
else
  echo "(POSIX message queues do not exist on $(uname -s); skipping to System V)"
fi

step "8. A System V message queue: typed messages, visible to ipcs -q"
run "$shmkit" msgq create --key "$key"
run "$shmkit" msgq send --key "$key" --type 2 "normal: resize the images"
run "$shmkit" msgq send --key "$key" --type 3 "low: tidy the temp files"
run "$shmkit" msgq send --key "$key" --type 1 "urgent: the disk is full"
if command -v ipcs >/dev/null 2>&1; then run ipcs -q | grep -E "^-|key|$key" || true; fi

step "9. Receive by type: --type -3 takes the lowest type up to 3 first (a priority queue)"
for _ in 1 2 3; do
  printf '  '; "$shmkit" msgq receive --key "$key" --type -3 --with-type; echo
done
status=0; run "$shmkit" msgq receive --key "$key" --timeout 300ms || status=$?
echo "exit status $status (empty)"
[ "$status" -eq 3 ]
run "$shmkit" msgq info --key "$key"
run "$shmkit" msgq rm --key "$key"
finished=1

echo
echo "message-queues: done"
