/*
 * The C declarations shmkit binds on Linux x86_64. `make bindings` runs jextract on this
 * header with the symbol list in includes.txt; the output is committed under
 * native-bindings/src/main/java/dev/shmkit/internal/nativeaccess/gen.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <limits.h>
#include <semaphore.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <linux/futex.h>
