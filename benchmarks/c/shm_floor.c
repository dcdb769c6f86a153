/*
 * The kernel's floor for the operations SharedMemoryLifecycleBenchmark and FutexBenchmark
 * measure: the same system calls, in the same order, straight from C (see docs/benchmarks.md).
 * Linux only. scripts/bench compiles and runs it when a C compiler is present:
 *
 *     cc -O2 -o build/bench/shm_floor benchmarks/c/shm_floor.c && build/bench/shm_floor
 *
 * Prints `c <metric> <mean per operation>` lines, like benchmarks/python/shm_lifecycle.py, and
 * the spread over rounds on stderr. Options: -n operations per round (2000), -r rounds (5).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SIZE 4096

static char fresh[64], existing[64];
static int *word;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) { perror(what); shm_unlink(fresh); shm_unlink(existing); exit(1); }

static void *map(int fd, size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    return p;
}

/* shm_open(O_CREAT|O_EXCL) + ftruncate + mmap + close(fd), then munmap + shm_unlink */
static void create_close_unlink(void) {
    int fd = shm_open(fresh, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("shm_open");
    if (ftruncate(fd, SIZE) != 0) die("ftruncate");
    void *p = map(fd, SIZE);
    close(fd);
    munmap(p, SIZE);
    if (shm_unlink(fresh) != 0) die("shm_unlink");
}

/* shm_open + fstat + mmap + close(fd), then munmap */
static void *attach(const char *name) {
    int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) die("shm_open");
    struct stat st;
    if (fstat(fd, &st) != 0) die("fstat");
    void *p = map(fd, (size_t) st.st_size);
    close(fd);
    return p;
}

static void attach_close(void) { munmap(attach(existing), SIZE); }

static void create_attach_close_unlink(void) {
    int fd = shm_open(fresh, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("shm_open");
    if (ftruncate(fd, SIZE) != 0) die("ftruncate");
    void *p = map(fd, SIZE);
    close(fd);
    munmap(attach(fresh), SIZE);
    munmap(p, SIZE);
    if (shm_unlink(fresh) != 0) die("shm_unlink");
}

static void futex_wake_no_waiter(void) { syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0); }

static void futex_wait_value_changed(void) { syscall(SYS_futex, word, FUTEX_WAIT, 1, NULL, NULL, 0); }

static void measure(const char *metric, void (*op)(void), long n, int rounds, double scale) {
    for (long i = 0; i < n; i++) op(); /* warm-up round */
    double sum = 0, sumsq = 0, lo = INFINITY, hi = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) op();
        double mean = (now_ns() - t0) / n / scale;
        sum += mean; sumsq += mean * mean;
        if (mean < lo) lo = mean;
        if (mean > hi) hi = mean;
    }
    double mean = sum / rounds;
    double sd = rounds > 1 ? sqrt(fmax(0, (sumsq - rounds * mean * mean) / (rounds - 1))) : 0;
    printf("c %s %.2f\n", metric, mean);
    fflush(stdout);
    fprintf(stderr, "# %s: %d rounds x %ld ops, round means min %.2f max %.2f stdev %.2f\n",
            metric, rounds, n, lo, hi, sd);
}

int main(int argc, char **argv) {
    long n = 2000;
    int rounds = 5, c;
    while ((c = getopt(argc, argv, "n:r:")) != -1) {
        if (c == 'n') n = atol(optarg);
        else if (c == 'r') rounds = atoi(optarg);
        else { fprintf(stderr, "usage: %s [-n ops per round] [-r rounds]\n", argv[0]); return 2; }
    }
    if (n < 1 || rounds < 1) { fprintf(stderr, "-n and -r must be positive\n"); return 2; }
    snprintf(fresh, sizeof fresh, "/shmkit-cbench-%d-new", (int) getpid());
    snprintf(existing, sizeof existing, "/shmkit-cbench-%d-old", (int) getpid());

    int fd = shm_open(existing, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) die("shm_open");
    if (ftruncate(fd, SIZE) != 0) die("ftruncate");
    word = map(fd, SIZE);
    close(fd);
    *word = 0;

    measure("shm_create_close_unlink_us", create_close_unlink, n, rounds, 1e3);
    measure("shm_attach_close_us", attach_close, n, rounds, 1e3);
    measure("shm_create_attach_close_unlink_us", create_attach_close_unlink, n, rounds, 1e3);
    measure("futex_wake_no_waiter_ns", futex_wake_no_waiter, n * 50, rounds, 1);
    measure("futex_wait_value_changed_ns", futex_wait_value_changed, n * 50, rounds, 1);

    munmap(word, SIZE);
    shm_unlink(existing);
    return 0;
}
