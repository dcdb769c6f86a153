/*
 * futex_pingpong.c: the C floor for shmkit's blocking wake-up round trip (docs/benchmarks.md,
 * "Rings"). Two processes, started separately (the harness pins A to CPU 0 and B to CPU 1 with
 * taskset, as it does the JVMs), map the same POSIX shared memory object and bounce one 32-bit
 * word: A stores an odd value and calls FUTEX_WAKE, B sleeps in FUTEX_WAIT until it sees that
 * value, stores the next even one and wakes A, which was asleep in FUTEX_WAIT meanwhile. No
 * spinning before a sleep (like WaitStrategy.BLOCKING), and shared futexes (no FUTEX_PRIVATE_FLAG:
 * the word is in a mapping two processes share, as shmkit's are). A times each round trip with
 * CLOCK_MONOTONIC.
 *
 * Compiled and run by dev.shmkit.cli.RingBench (CrossProcessRing, shmkit bench rings):
 *   cc -O2 -o futex_pingpong benchmarks/c/futex_pingpong.c
 *   futex_pingpong A|B SHM_NAME FIGURE_NAME ITERATIONS WARMUP_SECONDS
 * SHM_NAME is the harness's control object (at least 4096 bytes): a ready counter (int64) at
 * offset 0, this program's word at offset 256, the pids at 384 (A) and 392 (B). A prints
 *   FIGURE_NAME rtt_p50 <ns> ns
 *   FIGURE_NAME rtt_p99 <ns> ns
 * and a '#' line with the details; B prints nothing.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define READY_OFFSET 0
#define WORD_OFFSET 256
#define PID_A_OFFSET 384
#define PID_B_OFFSET 392
#define STOP_VALUE 0xffffffffu

static long futex(uint32_t *word, int op, uint32_t val) {
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

/* Sleeps until *word == want; returns 0, or -1 when the word says stop. */
static int wait_for(uint32_t *word, uint32_t want) {
    for (;;) {
        uint32_t v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (v == want) return 0;
        if (v == STOP_VALUE) return -1;
        futex(word, FUTEX_WAIT, v); /* returns at once (EAGAIN) when the word changed meanwhile */
    }
}

static void post(uint32_t *word, uint32_t v) {
    __atomic_store_n(word, v, __ATOMIC_RELEASE);
    futex(word, FUTEX_WAKE, 1);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 6 || (strcmp(argv[1], "A") != 0 && strcmp(argv[1], "B") != 0)) {
        fprintf(stderr, "usage: %s A|B SHM_NAME FIGURE_NAME ITERATIONS WARMUP_SECONDS\n", argv[0]);
        return 2;
    }
    int is_a = argv[1][0] == 'A';
    const char *name = argv[3];
    long iterations = atol(argv[4]);
    double warmup = atof(argv[5]);
    if (iterations < 1) iterations = 1;
    int fd = shm_open(argv[2], O_RDWR, 0);
    if (fd < 0) { perror("shm_open"); return 1; }
    char *base = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) { perror("mmap"); return 1; }
    close(fd);
    uint32_t *word = (uint32_t *) (base + WORD_OFFSET);
    *(volatile int64_t *) (base + (is_a ? PID_A_OFFSET : PID_B_OFFSET)) = getpid();
    __atomic_add_fetch((int64_t *) (base + READY_OFFSET), 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n((int64_t *) (base + READY_OFFSET), __ATOMIC_SEQ_CST) < 2) __builtin_ia32_pause();

    if (!is_a) {
        for (uint32_t expect = 1;; expect += 2) {
            if (wait_for(word, expect) < 0) return 0;
            post(word, expect + 1);
        }
    }

    uint64_t *samples = malloc(sizeof(uint64_t) * (size_t) iterations);
    if (!samples) { perror("malloc"); return 1; }
    uint32_t v = 1;
    uint64_t warm_end = now_ns() + (uint64_t) (warmup * 1e9);
    while (now_ns() < warm_end) {
        for (int i = 0; i < 100; i++, v += 2) {
            post(word, v);
            wait_for(word, v + 1);
        }
    }
    for (long i = 0; i < iterations; i++, v += 2) {
        uint64_t t0 = now_ns();
        post(word, v);
        wait_for(word, v + 1);
        samples[i] = now_ns() - t0;
    }
    post(word, STOP_VALUE);
    qsort(samples, (size_t) iterations, sizeof(uint64_t), cmp_u64);
    double sum = 0;
    for (long i = 0; i < iterations; i++) sum += (double) samples[i];
#define AT(p) samples[(long) ((double) iterations * (p)) < iterations ? (long) ((double) iterations * (p)) : iterations - 1]
    printf("%s rtt_p50 %llu ns\n", name, (unsigned long long) AT(0.50));
    printf("%s rtt_p99 %llu ns\n", name, (unsigned long long) AT(0.99));
    printf("# %s: %ld round trips (C, FUTEX_WAIT/FUTEX_WAKE on a shared mapping), mean %.0f, min %llu, p90 %llu, p99.9 %llu, max %llu ns\n",
           name, iterations, sum / (double) iterations, (unsigned long long) samples[0], (unsigned long long) AT(0.90),
           (unsigned long long) AT(0.999), (unsigned long long) samples[iterations - 1]);
    fflush(stdout);
    return 0;
}
