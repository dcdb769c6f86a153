#!/usr/bin/env bash
# fifo-pipeline.sh — a named pipe (mkfifo) between a producer and a consumer process that do not
# know each other: shell redirection on one end, `shmkit fifo read/write` on the other, then `cat`.
#
#   demos/shell/fifo-pipeline.sh            (after `make build`)
#
# What to look for: a FIFO is a file system name for a pipe. Opening one end waits until some other
# process opens the other end; the data never touches the disk; the reader sees end-of-file when
# the last writer closes; a writer whose reader has gone gets EPIPE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shmkit=${SHMKIT:-$here/../../bin/shmkit}
[ -x "$shmkit" ] || { echo "build first: make build" >&2; exit 1; }

work=$(mktemp -d)
fifo="$work/jobs.fifo"
cleanup() { rm -rf "$work"; }  # the FIFO lives in $work
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {  # show the command as one would type it, then run it
  printf '$'; local a; for a in "$@"; do [ "$a" = "$shmkit" ] && a=shmkit; printf ' %q' "$a"; done; echo
  "$@"
}

step "1. Create the FIFO (exclusive, mode 0600): the 'p' in ls -l"
run "$shmkit" fifo create "$fifo"
ls -l "$fifo" | sed "s|$work|\$work|"

step "2. Producer: a shell loop redirected into the FIFO. Consumer: shmkit fifo read"
# The producer's `> "$fifo"` blocks until the consumer opens the other end.
( for i in 1 2 3 4 5; do echo "job $i"; done > "$fifo"; echo "  [producer $BASHPID] wrote 5 jobs and closed its end" ) &
producer=$!
"$shmkit" fifo read "$fifo" | while read -r line; do echo "  [consumer] got: $line"; done
wait "$producer"

step "3. The other way round: shmkit fifo write feeds cat, which feeds awk"
seq 1 100 | "$shmkit" fifo write "$fifo" &
writer=$!
sum=$(cat "$fifo" | awk '{ s += $1 } END { print s }')
wait "$writer"
echo "cat read 1..100 through the FIFO; awk sums them to $sum"
[ "$sum" = 5050 ]

step "4. Nobody at the other end: opening waits, and --timeout bounds the wait (exit status 3)"
status=0; run "$shmkit" fifo read "$fifo" --timeout 300ms || status=$?
echo "exit status $status"
[ "$status" -eq 3 ]

step "5. The reader leaves early: the writer is told (EPIPE), nothing is silently lost"
head -c 12 "$fifo" > "$work/head.out" &
reader=$!
status=0; seq 1 1000000 | "$shmkit" fifo write "$fifo" 2>&1 || status=$?
wait "$reader"
echo "head kept '$(cat "$work/head.out" | tr '\n' ' ')'; shmkit fifo write exited with status $status"
[ "$status" -eq 1 ]

step "6. Remove the name"
run "$shmkit" fifo rm "$fifo"
[ ! -e "$fifo" ] && echo "gone"

echo
echo "fifo-pipeline: done"
