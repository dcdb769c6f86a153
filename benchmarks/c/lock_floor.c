/*
 * The C reference for LockBenchmark and CrossProcessSync (see docs/benchmarks.md): what a
 * process-shared lock costs straight from C, in the same kind of memory (a MAP_SHARED mapping
 * of tmpfs: here an anonymous shared mapping, inherited across fork(), so nothing is named and
 * nothing can be left behind in /dev/shm). Linux only. scripts/bench compiles and runs it when a
 * C compiler is present:
 *
 *     cc -O2 -pthread -o build/bench/lock_floor benchmarks/c/lock_floor.c -lm && build/bench/lock_floor
 *
 * Uncontended, one thread (mean ns per pair over rounds, spread on stderr):
 *   mutex_robust_lock_unlock_ns    pthread_mutex_lock + unlock, PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST
 *   mutex_pshared_lock_unlock_ns   the same without ROBUST
 *   spin_cas_release_ns            CAS 0->1 (acquire) + release store: the cheapest spinlock pair
 *   spin_cas_xchg_ns               CAS 0->1 + atomic exchange back to 0: SharedLock's fast path, no bookkeeping
 *   sem_trywait_post_ns            sem_trywait + sem_post on a process-shared sem_t (what NamedSemaphore calls)
 *   pause200_ns                    200 PAUSE instructions: about how long SharedLock spins before it sleeps
 *
 * Two processes (fork; the child dies with its parent, PR_SET_PDEATHSIG), round trip times:
 *   pingpong_futex_{steady,idle}_rtt_{p50,p99}_us   a turn word, FUTEX_WAIT / FUTEX_WAKE every time (no spinning)
 *   pingpong_adaptive_{steady,idle}_rtt_{p50,p99}_us  spin 200 checks with PAUSE, then FUTEX_WAIT (SharedLock's strategy)
 *   pingpong_spin_steady_rtt_{p50,p99}_us           pure busy-waiting on the turn word (the cache-line floor)
 *   pingpong_mutex3_{steady,idle}_rtt_{p50,p99}_us  three robust mutexes handed round (CrossProcessSync's lock_pingpong)
 * "steady" rounds run back to back; "idle" ones sleep -p microseconds (1000) in the initiator
 * between rounds, so the responder has gone to sleep when the ping comes.
 *   mutex_contended_ops_per_s     two processes, each locking and unlocking one robust mutex
 *                                 with a counter increment inside, for -t seconds (1); total pairs per second
 *
 * Prints `c <metric> <value>` lines. Options: -n ops per round for the ns figures in millions
 * (5), -r rounds (5), -k round trips (20000), -i idle round trips (2000), -p pause µs (1000),
 * -t contended seconds (1).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <math.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINE 128 /* keep every shared word on cache lines of its own (adjacent-line prefetch) */

struct shared {
    pthread_mutex_t robust __attribute__((aligned(LINE)));
    pthread_mutex_t pshared __attribute__((aligned(LINE)));
    int spin __attribute__((aligned(LINE)));
    sem_t sem __attribute__((aligned(LINE)));
    int turn __attribute__((aligned(LINE)));
    pthread_mutex_t rot[3] __attribute__((aligned(LINE)));
    pthread_mutex_t contended __attribute__((aligned(LINE)));
    long counter __attribute__((aligned(LINE)));
    long child_ops __attribute__((aligned(LINE)));
    int go __attribute__((aligned(LINE)));
};

static struct shared *sh;
static volatile int sink;

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) { perror(what); exit(1); }

static void check(int rc, const char *what) {
    if (rc != 0) { errno = rc; die(what); }
}

static long futex(int *word, int op, int val) {
    return syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

static inline void cpu_relax(void) { __builtin_ia32_pause(); }

static void init_mutex(pthread_mutex_t *m, int robust) {
    pthread_mutexattr_t a;
    check(pthread_mutexattr_init(&a), "pthread_mutexattr_init");
    check(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED), "pthread_mutexattr_setpshared");
    if (robust) check(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST), "pthread_mutexattr_setrobust");
    check(pthread_mutex_init(m, &a), "pthread_mutex_init");
    pthread_mutexattr_destroy(&a);
}

static void lock_robust(pthread_mutex_t *m) {
    int rc = pthread_mutex_lock(m);
    if (rc == EOWNERDEAD) rc = pthread_mutex_consistent(m);
    check(rc, "pthread_mutex_lock");
}

/* ------------------------------------------------------------------ uncontended */

static void robust_pair(void) { lock_robust(&sh->robust); pthread_mutex_unlock(&sh->robust); }

static void pshared_pair(void) { pthread_mutex_lock(&sh->pshared); pthread_mutex_unlock(&sh->pshared); }

static void spin_cas_release(void) {
    int expected = 0;
    while (!__atomic_compare_exchange_n(&sh->spin, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) expected = 0;
    __atomic_store_n(&sh->spin, 0, __ATOMIC_RELEASE);
}

static void spin_cas_xchg(void) {
    int expected = 0;
    while (!__atomic_compare_exchange_n(&sh->spin, &expected, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) expected = 0;
    sink = __atomic_exchange_n(&sh->spin, 0, __ATOMIC_SEQ_CST);
}

static void sem_pair(void) {
    if (sem_trywait(&sh->sem) != 0) die("sem_trywait");
    if (sem_post(&sh->sem) != 0) die("sem_post");
}

static void pause200(void) {
    for (int i = 0; i < 200; i++) cpu_relax();
}

static void measure(const char *metric, void (*op)(void), long n, int rounds) {
    for (long i = 0; i < n / 4; i++) op(); /* warm-up */
    double sum = 0, sumsq = 0, lo = INFINITY, hi = 0;
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (long i = 0; i < n; i++) op();
        double mean = (now_ns() - t0) / n;
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

/* ------------------------------------------------------------------ two processes */

enum wait_kind { FUTEX, ADAPTIVE, SPIN };

/* Waits until the turn word holds `want` (0: the initiator's turn, 1: the responder's). */
static void await_turn(int want, enum wait_kind kind) {
    if (kind != FUTEX) {
        for (int i = 0; kind == SPIN || i < 200; i++) {
            if (__atomic_load_n(&sh->turn, __ATOMIC_ACQUIRE) == want) return;
            cpu_relax();
        }
    }
    int v;
    while ((v = __atomic_load_n(&sh->turn, __ATOMIC_ACQUIRE)) != want) futex(&sh->turn, FUTEX_WAIT, v);
}

static void give_turn(int to, enum wait_kind kind) {
    __atomic_store_n(&sh->turn, to, __ATOMIC_RELEASE);
    /* a real lock would skip the wake when no one sleeps; this floor always pays it (~0.4 µs) */
    if (kind != SPIN) futex(&sh->turn, FUTEX_WAKE, 1);
}

static pid_t spawn(void (*child)(long), long arg) {
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(1);
        child(arg);
        _exit(0);
    }
    return pid;
}

static void reap(pid_t pid) {
    int status;
    if (waitpid(pid, &status, 0) < 0) die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) { fprintf(stderr, "lock_floor: child failed\n"); exit(1); }
}

static enum wait_kind child_kind;

static void turn_responder(long rounds) {
    for (long i = 0; i < rounds; i++) {
        await_turn(1, child_kind);
        give_turn(0, child_kind);
    }
}

static void mutex3_responder(long rounds) {
    lock_robust(&sh->rot[2]);
    __atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
    for (long r = 0; r < rounds; r++) {
        lock_robust(&sh->rot[r % 3]);
        pthread_mutex_unlock(&sh->rot[(r + 2) % 3]);
    }
    pthread_mutex_unlock(&sh->rot[(rounds + 2) % 3]);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

/* the calling thread's voluntary (it slept) and involuntary (it was preempted) context switches */
static void switches(long out[2]) {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    out[0] = ru.ru_nvcsw;
    out[1] = ru.ru_nivcsw;
}

/* pacing: voluntary switches per round trip owed to the initiator's pause, not to the handoff */
static void report_rtt(const char *name, double *rtt, long n, const long before[2], const long after[2], int pacing) {
    qsort(rtt, n, sizeof *rtt, cmp_double);
    double p50 = rtt[n / 2], p99 = rtt[(long) (n * 0.99)], sum = 0;
    for (long i = 0; i < n; i++) sum += rtt[i];
    printf("c %s_rtt_p50_us %.2f\nc %s_rtt_p99_us %.2f\n", name, p50 / 1e3, name, p99 / 1e3);
    fflush(stdout);
    fprintf(stderr, "# %s: %ld round trips, mean %.2f min %.2f max %.2f us; initiator sleeps %.2f, preemptions %.2f per round trip\n",
            name, n, sum / n / 1e3, rtt[0] / 1e3, rtt[n - 1] / 1e3,
            (double) (after[0] - before[0]) / n - pacing, (double) (after[1] - before[1]) / n);
}

static void pause_us(long us) {
    struct timespec t = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

/* warm-up rounds, then `steady` recorded back to back, then `idle` recorded with a pause before each */
static void turn_pingpong(const char *name, enum wait_kind kind, long warm, long steady, long idle, long pause, double *rtt) {
    sh->turn = 0;
    child_kind = kind;
    pid_t pid = spawn(turn_responder, warm + steady + idle);
    char label[64];
    long sw[3][2];
    for (long i = 0; i < warm + steady + idle; i++) {
        if (i == warm) switches(sw[0]);
        if (i == warm + steady) switches(sw[1]);
        if (i >= warm + steady) pause_us(pause);
        double t0 = now_ns();
        give_turn(1, kind);
        await_turn(0, kind);
        if (i >= warm) rtt[i - warm] = now_ns() - t0;
    }
    switches(sw[2]);
    if (idle == 0) memcpy(sw[1], sw[2], sizeof sw[1]);
    reap(pid);
    snprintf(label, sizeof label, "pingpong_%s_steady", name);
    report_rtt(label, rtt, steady, sw[0], sw[1], 0);
    if (idle > 0) {
        snprintf(label, sizeof label, "pingpong_%s_idle", name);
        report_rtt(label, rtt + steady, idle, sw[1], sw[2], 1);
    }
}

static void mutex3_pingpong(long warm, long steady, long idle, long pause, double *rtt) {
    for (int i = 0; i < 3; i++) init_mutex(&sh->rot[i], 1);
    lock_robust(&sh->rot[0]);
    lock_robust(&sh->rot[1]);
    sh->go = 0;
    long total = warm + steady + idle;
    pid_t pid = spawn(mutex3_responder, total);
    while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) cpu_relax(); /* the child holds rot[2] */
    long sw[3][2];
    for (long r = 0; r < total; r++) {
        if (r == warm) switches(sw[0]);
        if (r == warm + steady) switches(sw[1]);
        if (r >= warm + steady) pause_us(pause);
        double t0 = now_ns();
        pthread_mutex_unlock(&sh->rot[r % 3]);
        lock_robust(&sh->rot[(r + 2) % 3]);
        if (r >= warm) rtt[r - warm] = now_ns() - t0;
    }
    /* after round r the initiator holds (r+1)%3 and (r+2)%3 */
    switches(sw[2]);
    if (idle == 0) memcpy(sw[1], sw[2], sizeof sw[1]);
    pthread_mutex_unlock(&sh->rot[total % 3]);
    pthread_mutex_unlock(&sh->rot[(total + 1) % 3]);
    reap(pid);
    report_rtt("pingpong_mutex3_steady", rtt, steady, sw[0], sw[1], 0);
    if (idle > 0) report_rtt("pingpong_mutex3_idle", rtt + steady, idle, sw[1], sw[2], 1);
}

static double contended_seconds;

static long contended_loop(void) {
    while (!__atomic_load_n(&sh->go, __ATOMIC_ACQUIRE)) cpu_relax();
    double end = now_ns() + contended_seconds * 1e9;
    long ops = 0;
    do {
        for (int i = 0; i < 256; i++) {
            lock_robust(&sh->contended);
            sh->counter++;
            pthread_mutex_unlock(&sh->contended);
        }
        ops += 256;
    } while (now_ns() < end);
    return ops;
}

static void contended_child(long unused) {
    (void) unused;
    __atomic_store_n(&sh->child_ops, contended_loop(), __ATOMIC_RELEASE);
}

static void contended(void) {
    init_mutex(&sh->contended, 1);
    sh->counter = 0;
    sh->go = 0;
    pid_t pid = spawn(contended_child, 0);
    usleep(200000); /* let the child reach its start line */
    double t0 = now_ns();
    __atomic_store_n(&sh->go, 1, __ATOMIC_RELEASE);
    long mine = contended_loop();
    reap(pid);
    double elapsed = (now_ns() - t0) / 1e9;
    long total = mine + sh->child_ops;
    if (sh->counter != total) { fprintf(stderr, "lock_floor: counter %ld != %ld pairs: the mutex failed\n", sh->counter, total); exit(1); }
    printf("c mutex_contended_ops_per_s %.0f\n", total / elapsed);
    fflush(stdout);
    fprintf(stderr, "# mutex_contended: 2 processes, %.2f s, %ld pairs, initiator's share %.2f\n",
            elapsed, total, (double) mine / total);
}

int main(int argc, char **argv) {
    long n = 5, steady = 20000, idle = 2000, pause = 1000;
    int rounds = 5, c;
    contended_seconds = 1;
    while ((c = getopt(argc, argv, "n:r:k:i:p:t:")) != -1) {
        switch (c) {
            case 'n': n = atol(optarg); break;
            case 'r': rounds = atoi(optarg); break;
            case 'k': steady = atol(optarg); break;
            case 'i': idle = atol(optarg); break;
            case 'p': pause = atol(optarg); break;
            case 't': contended_seconds = atof(optarg); break;
            default:
                fprintf(stderr, "usage: %s [-n Mops per round] [-r rounds] [-k round trips] [-i idle round trips]"
                        " [-p pause us] [-t contended seconds]\n", argv[0]);
                return 2;
        }
    }
    if (n < 1 || rounds < 1 || steady < 100 || idle < 0 || pause < 0 || contended_seconds <= 0) {
        fprintf(stderr, "lock_floor: -n, -r, -t must be positive, -k at least 100\n");
        return 2;
    }
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) die("mmap");
    memset(sh, 0, sizeof *sh);
    init_mutex(&sh->robust, 1);
    init_mutex(&sh->pshared, 0);
    if (sem_init(&sh->sem, 1, 1) != 0) die("sem_init");

    long ops = n * 1000000;
    measure("mutex_robust_lock_unlock_ns", robust_pair, ops, rounds);
    measure("mutex_pshared_lock_unlock_ns", pshared_pair, ops, rounds);
    measure("spin_cas_release_ns", spin_cas_release, ops, rounds);
    measure("spin_cas_xchg_ns", spin_cas_xchg, ops, rounds);
    measure("sem_trywait_post_ns", sem_pair, ops, rounds);
    measure("pause200_ns", pause200, ops / 100, rounds);

    double *rtt = malloc(sizeof(double) * (steady + idle));
    if (!rtt) die("malloc");
    long warm = steady / 4;
    turn_pingpong("futex", FUTEX, warm, steady, idle, pause, rtt);
    turn_pingpong("adaptive", ADAPTIVE, warm, steady, idle, pause, rtt);
    turn_pingpong("spin", SPIN, warm, steady, 0, pause, rtt);
    mutex3_pingpong(warm, steady, idle, pause, rtt);
    contended();
    free(rtt);
    munmap(sh, sizeof *sh);
    return 0;
}
