#!/usr/bin/env bash
# shm-basics.sh — POSIX and System V shared memory from the shell with bin/shmkit and standard
# tools. Runs on Linux and macOS. Every object it creates is removed at the end, even on error.
#
#   demos/shell/shm-basics.sh            (after `make build`)
#
# What to look for: a segment outlives the process that wrote it (it is a named kernel object,
# not a file you opened), any process can map it by name, and removal is always explicit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shmkit=${SHMKIT:-$here/../../bin/shmkit}
[ -x "$shmkit" ] || { echo "build first: make build" >&2; exit 1; }

name="/shmkit-demo-$$"
key=$(printf '0x5d%06x' $(( $$ & 0xffffff )))
cleanup() { "$shmkit" shm rm --force "$name"; "$shmkit" sysv rm --force --key "$key"; }
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { local shown="$*"; printf '$ %s\n' "${shown//$shmkit/shmkit}"; "$@"; }

step "1. Create a 64-byte POSIX shared memory object (exclusive, mode 0600)"
run "$shmkit" shm create "$name" --size 64
run "$shmkit" shm info "$name"

step "2. One process writes into it..."
printf 'hello, shared memory' | "$shmkit" shm write "$name"
echo "(wrote 'hello, shared memory' from stdin; that process has exited)"

step "3. ...and later processes read it back: the data lives in the kernel, not in a process"
run "$shmkit" shm read "$name" --length 20; echo
printf 'WORLD' | "$shmkit" shm write "$name" --offset 13
run "$shmkit" shm read "$name" --length 20; echo
if [ -e "/dev/shm${name}" ]; then
  echo "On Linux the object is a file in a RAM file system; plain tools see it too:"
  run od -c -N 20 "/dev/shm${name}"
fi

step "4. Bad input is refused and changes nothing"
status=0
printf 'too long for the space that is left' | "$shmkit" shm write "$name" --offset 60 2>&1 || status=$?
[ "$status" -eq 1 ] || { echo "expected exit status 1, got $status" >&2; exit 1; }
echo "exit status $status as expected; the contents are unchanged:"
run "$shmkit" shm read "$name" --length 20; echo
if "$shmkit" shm create "$name" --size 64 2>&1; then echo "unexpected success" >&2; exit 1; fi
echo "creating it again fails: objects are created exclusively unless asked otherwise"

if command -v python3 >/dev/null 2>&1; then
  step "5. Another language attaches by name: Python's multiprocessing.shared_memory"
  python3 - "$name" <<'PY'
import sys
from multiprocessing import shared_memory, resource_tracker
m = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(m._name, "shared_memory")   # we did not create it: do not let Python unlink it
print("python read:", bytes(m.buf[:20]).decode())
m.buf[0:5] = b"HELLO"
m.close()
PY
  run "$shmkit" shm read "$name" --length 20; echo
fi

step "6. System V shared memory: keys, ids, and ipcs"
id=$("$shmkit" sysv create --key "$key" --size 4096)
echo "created key $key with id $id"
printf 'System V says hi' | "$shmkit" sysv write --key "$key"
run "$shmkit" sysv read --id "$id" --length 16; echo
run "$shmkit" sysv info --key "$key"
echo "ipcs sees the same segment:"
ipcs -m | awk -v k="$key" 'NR<=3 || tolower($1)==tolower(k)'

step "7. Removal is explicit"
run "$shmkit" shm rm "$name"
run "$shmkit" sysv rm --key "$key"
if "$shmkit" shm read "$name" 2>/dev/null; then echo "unexpected success" >&2; exit 1; fi
echo "gone: reading it now fails"
trap - EXIT
echo
echo "shm-basics: done"
