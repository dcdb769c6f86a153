package dev.shmkit.sync;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.sync.TestSupport.INT;
import static dev.shmkit.sync.TestSupport.millisSince;
import static dev.shmkit.sync.TestSupport.task;
import static dev.shmkit.sync.TestSupport.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SharedCondition} between processes: a bounded buffer in shared memory guarded by one
 * lock and two conditions, filled and drained by threads of three processes; timeouts; signal
 * without the lock; and a wait with a reentrant lock held twice.
 */
class SharedConditionTest {
    private static Agent agent;

    @BeforeAll
    static void startAgent() {
        agent = Agent.start();
    }

    @AfterEach
    void agentInStep() {
        agent = agent.inStepOrReplaced();
    }

    @AfterAll
    static void stopAgent() {
        agent.exit();
    }

    // ------------------------------------------------------------------ bounded buffer

    /*
     * Layout of the buffer segment:
     *   0  lock (64)          64 notFull (16)       80 notEmpty (16)
     *   128 head (long)       136 tail (long)       144 count (int)     148 taken (int)
     *   152 producer waits    156 consumer waits
     *   192 items[CAPACITY] (longs)                 256 seen[TOTAL] (ints)
     */
    static final long LOCK = 0, NOT_FULL = 64, NOT_EMPTY = 80;
    static final long HEAD = 128, TAIL = 136, COUNT = 144, TAKEN = 148, PRODUCER_WAITS = 152, CONSUMER_WAITS = 156;
    static final long ITEMS = 192, SEEN = 256;
    static final int CAPACITY = 4;
    static final int PER_PRODUCER = 1500;
    static final int TOTAL = 2 * PER_PRODUCER;
    static final long BUFFER_SIZE = SEEN + 4L * TOTAL;

    record Buffer(MemorySegment seg, SharedLock lock, SharedCondition notFull, SharedCondition notEmpty) {
        static Buffer open(MemorySegment seg) {
            SharedLock lock = SharedLock.open(seg, LOCK);
            return new Buffer(seg, lock, SharedCondition.open(seg, NOT_FULL, lock), SharedCondition.open(seg, NOT_EMPTY, lock));
        }

        void put(long v) throws InterruptedException {
            lock.lock();
            try {
                while ((int) INT.get(seg, COUNT) == CAPACITY) {
                    INT.getAndAdd(seg, PRODUCER_WAITS, 1);
                    notFull.await();
                }
                long head = seg.get(ValueLayout.JAVA_LONG, HEAD);
                seg.set(ValueLayout.JAVA_LONG, ITEMS + 8 * (head % CAPACITY), v);
                seg.set(ValueLayout.JAVA_LONG, HEAD, head + 1);
                INT.set(seg, COUNT, (int) INT.get(seg, COUNT) + 1);
                notEmpty.signal();
            } finally {
                lock.unlock();
            }
        }

        /** The next item, or -1 once all {@link #TOTAL} have been taken. */
        long take() throws InterruptedException {
            lock.lock();
            try {
                while ((int) INT.get(seg, COUNT) == 0) {
                    if ((int) INT.get(seg, TAKEN) == TOTAL) return -1;
                    INT.getAndAdd(seg, CONSUMER_WAITS, 1);
                    notEmpty.await();
                }
                long tail = seg.get(ValueLayout.JAVA_LONG, TAIL);
                long v = seg.get(ValueLayout.JAVA_LONG, ITEMS + 8 * (tail % CAPACITY));
                seg.set(ValueLayout.JAVA_LONG, TAIL, tail + 1);
                INT.set(seg, COUNT, (int) INT.get(seg, COUNT) - 1);
                int taken = (int) INT.get(seg, TAKEN) + 1;
                INT.set(seg, TAKEN, taken);
                if (taken == TOTAL) notEmpty.signalAll(); // the other consumers are done too
                notFull.signal();
                return v;
            } finally {
                lock.unlock();
            }
        }

        void produce(int producer) throws InterruptedException {
            for (int i = 0; i < PER_PRODUCER; i++) put((long) producer * PER_PRODUCER + i);
        }

        int consume() throws InterruptedException {
            int n = 0;
            for (long v; (v = take()) >= 0; n++) INT.getAndAdd(seg, SEEN + 4 * v, 1);
            return n;
        }
    }

    /** Child: producer (args: shm, "produce", id) or consumer (args: shm, "consume"). */
    public static final class Worker {
        public static void main(String[] args) throws Exception {
            try (SharedMemory shm = SharedMemory.open(args[0])) {
                Buffer b = Buffer.open(shm.segment());
                Child.say("ready");
                Child.await("go");
                if (args[1].equals("produce")) {
                    b.produce(Integer.parseInt(args[2]));
                    Child.say("produced");
                } else {
                    Child.say("consumed " + b.consume());
                }
            }
        }
    }

    @Test
    void boundedBufferAcrossThreeProcesses() throws Exception {
        String name = Names.unique("cond-buffer");
        try (SharedMemory shm = SharedMemory.create(name, BUFFER_SIZE)) {
            MemorySegment seg = shm.segment();
            SharedLock lock = SharedLock.create(seg, LOCK);
            SharedCondition.create(seg, NOT_FULL, lock);
            SharedCondition.create(seg, NOT_EMPTY, lock);
            Buffer b = Buffer.open(seg);
            try (ChildJvm producer = ChildJvm.start(Worker.class, name, "produce", "0");
                 ChildJvm consumer = ChildJvm.start(Worker.class, name, "consume")) {
                producer.expectLine("ready");
                consumer.expectLine("ready");
                long t0 = System.nanoTime();
                // producers first: with nobody consuming, both must block on notFull, one of them
                // in the child process
                producer.send("go");
                var localProducer = task("producer-1", () -> {
                    b.produce(1);
                    return null;
                });
                until(() -> b.notFull.waiters() >= 2, "both producers wait on notFull");
                assertEquals(CAPACITY, (int) INT.getVolatile(seg, COUNT));

                consumer.send("go");
                var localConsumer = task("consumer", b::consume);
                producer.expectLine("produced");
                localProducer.join();
                String line = consumer.readLine();
                assertTrue(line.startsWith("consumed "), line);
                int childConsumed = Integer.parseInt(line.substring("consumed ".length()));
                int localConsumed = localConsumer.join();
                producer.assertSuccess();
                consumer.assertSuccess();
                System.out.printf("bounded buffer: %d items in %d ms; consumed %d here, %d in the child; "
                                + "producers waited %d times, consumers %d times%n", TOTAL, millisSince(t0), localConsumed,
                        childConsumed, (int) INT.get(seg, PRODUCER_WAITS), (int) INT.get(seg, CONSUMER_WAITS));

                assertEquals(TOTAL, localConsumed + childConsumed);
                for (int v = 0; v < TOTAL; v++) assertEquals(1, (int) INT.get(seg, SEEN + 4L * v), "item " + v + " taken once");
                assertEquals(0, (int) INT.get(seg, COUNT));
                assertEquals(TOTAL, seg.get(ValueLayout.JAVA_LONG, HEAD));
                assertEquals(TOTAL, seg.get(ValueLayout.JAVA_LONG, TAIL));
                assertFalse(lock.isLocked());
            }
        } finally {
            SharedMemory.unlink(name);
        }
    }

    // ------------------------------------------------------------------ with the agent

    @Test
    void signalFromAnotherProcessWakesTheWaiterWhichHasReleasedTheLock() throws Exception {
        String name = Names.unique("cond-signal");
        try (SharedMemory shm = SharedMemory.create(name, 128)) {
            SharedLock lock = SharedLock.create(shm.segment(), 0);
            SharedCondition cond = SharedCondition.create(shm.segment(), 64, lock);
            assertEquals(16, SharedCondition.SIZE);
            assertEquals(lock, cond.lock());
            agent.ok("openAt L lock " + name + " 0");
            agent.ok("openCond C L " + name + " 64");

            var waiter = task("await", () -> {
                lock.lock();
                try {
                    boolean signalled = cond.await(30, TimeUnit.SECONDS);
                    return signalled + " held=" + lock.isHeldByCurrentThread();
                } finally {
                    lock.unlock();
                }
            });
            until(() -> cond.waiters() >= 1, "the waiter sleeps on the condition");
            // the waiter gave the lock up while it waits: the other process can take it
            assertEquals("true died=false recoveries=0", agent.ok("tryLock L 5000"));
            agent.ok("signal C");
            assertFalse(waiter.isDone(), "the waiter cannot return while the signaller holds the lock");
            agent.ok("unlock L");
            assertEquals("true held=true", waiter.join());
            assertFalse(lock.isLocked());

            // signalAll wakes every waiter, here two threads of this process
            var w1 = task("await-1", () -> {
                lock.lock();
                try {
                    return cond.await(30, TimeUnit.SECONDS);
                } finally {
                    lock.unlock();
                }
            });
            var w2 = task("await-2", () -> {
                lock.lock();
                try {
                    return cond.await(30, TimeUnit.SECONDS);
                } finally {
                    lock.unlock();
                }
            });
            until(() -> cond.waiters() >= 2, "both wait");
            agent.ok("lock L");
            agent.ok("signalAll C");
            agent.ok("unlock L");
            assertTrue(w1.join());
            assertTrue(w2.join());
            agent.ok("close C");
            agent.ok("close L");
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void timedAwaitsReturnFalseAndReacquire() throws Exception {
        String name = Names.unique("cond-timeout");
        try (SharedMemory shm = SharedMemory.create(name, 128)) {
            SharedLock lock = SharedLock.create(shm.segment(), 0);
            SharedCondition cond = SharedCondition.create(shm.segment(), 64, lock);
            agent.ok("openAt L lock " + name + " 0");
            lock.lock();
            try {
                long t0 = System.nanoTime();
                assertFalse(cond.await(200, TimeUnit.MILLISECONDS));
                long waited = millisSince(t0);
                assertTrue(waited >= 200 && waited < 10_000, "await(200 ms) returned after " + waited + " ms");
                assertTrue(lock.isHeldByCurrentThread(), "re-acquired after the timeout");
                assertEquals("false", agent.ok("tryLock L 20"), "and held against the other process");

                t0 = System.nanoTime();
                long left = cond.awaitNanos(TimeUnit.MILLISECONDS.toNanos(50));
                assertTrue(left <= 0, "awaitNanos returned " + left);
                assertTrue(millisSince(t0) >= 50);
                assertTrue(lock.isHeldByCurrentThread());

                // zero and negative timeouts do not wait (-1 ns would mean "no deadline" inside)
                t0 = System.nanoTime();
                assertFalse(cond.await(0, TimeUnit.SECONDS));
                assertEquals(-1, cond.awaitNanos(-1));
                assertEquals(0, cond.awaitNanos(0));
                assertFalse(cond.await(-1, TimeUnit.NANOSECONDS));
                assertFalse(cond.awaitUntil(new java.util.Date(System.currentTimeMillis() - 1000)));
                assertTrue(millisSince(t0) < 1000, "non-positive timeouts took " + millisSince(t0) + " ms");
                assertTrue(lock.isHeldByCurrentThread());
            } finally {
                lock.unlock();
            }
            agent.ok("close L");
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void signalAndAwaitRequireTheLock() throws Exception {
        String name = Names.unique("cond-imse");
        try (SharedMemory shm = SharedMemory.create(name, 128)) {
            SharedLock lock = SharedLock.create(shm.segment(), 0);
            SharedCondition cond = SharedCondition.create(shm.segment(), 64, lock);
            agent.ok("openAt L lock " + name + " 0");
            agent.ok("openCond C L " + name + " 64");

            // nobody holds it
            assertThrows(IllegalMonitorStateException.class, cond::signal);
            assertThrows(IllegalMonitorStateException.class, cond::signalAll);
            assertThrows(IllegalMonitorStateException.class, cond::await);
            assertThrows(IllegalMonitorStateException.class, () -> cond.await(1, TimeUnit.SECONDS));
            assertThrows(IllegalMonitorStateException.class, cond::awaitUninterruptibly);
            assertTrue(agent.ex("signal C").startsWith("IllegalMonitorStateException"));

            // another process holds it
            agent.ok("lock L");
            assertThrows(IllegalMonitorStateException.class, cond::signal);
            assertThrows(IllegalMonitorStateException.class, cond::signalAll);
            assertThrows(IllegalMonitorStateException.class, () -> cond.awaitNanos(1000));
            assertEquals(agent.pid(), lock.ownerPid(), "still held by the other process");
            agent.ok("unlock L");

            // this process holds it: the other one may not signal
            lock.lock();
            try {
                assertTrue(agent.ex("signal C").startsWith("IllegalMonitorStateException"));
                cond.signal(); // the holder may, with nobody waiting
                cond.signalAll();
            } finally {
                lock.unlock();
            }
            agent.ok("close C");
            agent.ok("close L");
        } finally {
            SharedMemory.unlink(name);
        }
    }

    @Test
    void awaitWithAReentrantLockHeldTwiceReleasesBothHoldsAndRestoresThem() throws Exception {
        String name = Names.unique("cond-reentrant");
        ExecutorService owner = Executors.newSingleThreadExecutor();
        try (SharedMemory shm = SharedMemory.create(name, 128)) {
            SharedReentrantLock lock = SharedReentrantLock.create(shm.segment(), 0);
            SharedCondition cond = SharedCondition.create(shm.segment(), 64, lock);
            agent.ok("openAt R rlock " + name + " 0");
            agent.ok("openCond C R " + name + " 64");

            Future<String> waited = owner.submit(() -> {
                lock.lock();
                lock.lock();
                boolean signalled = cond.await(30, TimeUnit.SECONDS);
                return signalled + " holds=" + lock.getHoldCount();
            });
            until(() -> cond.waiters() >= 1, "the waiter sleeps on the condition");
            // both holds were given up: the other process can take the lock
            assertEquals("true died=false recoveries=0", agent.ok("tryLock R 5000"));
            assertEquals("1", agent.ok("holdCount R"));
            agent.ok("signal C");
            agent.ok("unlock R");
            assertEquals("true holds=2", waited.get(30, TimeUnit.SECONDS));

            // and both are back: one unlock leaves it held against the other process
            owner.submit(lock::unlock).get(30, TimeUnit.SECONDS);
            assertEquals("false", agent.ok("tryLock R 20"));
            assertEquals(1, (int) owner.submit(lock::getHoldCount).get(30, TimeUnit.SECONDS));
            owner.submit(lock::unlock).get(30, TimeUnit.SECONDS);
            assertEquals("true died=false recoveries=0", agent.ok("tryLock R 5000"));
            agent.ok("unlock R");
            agent.ok("close C");
            agent.ok("close R");
        } finally {
            owner.shutdownNow();
            SharedMemory.unlink(name);
        }
    }

    @Test
    void interruptedAwaitThrowsWithTheLockHeld() throws Exception {
        String name = Names.unique("cond-int");
        try (SharedMemory shm = SharedMemory.create(name, 128)) {
            SharedLock lock = SharedLock.create(shm.segment(), 0);
            SharedCondition cond = SharedCondition.create(shm.segment(), 64, lock);
            agent.ok("openAt L lock " + name + " 0");
            agent.ok("openCond C L " + name + " 64");

            var waiter = task("await", () -> {
                lock.lock();
                try {
                    cond.await();
                    return "returned";
                } catch (InterruptedException e) {
                    return "interrupted held=" + lock.isHeldByCurrentThread();
                } finally {
                    lock.unlock();
                }
            });
            until(() -> cond.waiters() >= 1, "the waiter sleeps on the condition");
            long t0 = System.nanoTime();
            waiter.interrupt();
            assertEquals("interrupted held=true", waiter.join());
            System.out.println("await: interrupt noticed after " + millisSince(t0) + " ms");
            assertEquals("true died=false recoveries=0", agent.ok("tryLock L 5000"));
            agent.ok("unlock L");

            // awaitUninterruptibly keeps waiting, then returns with the status set
            var patient = task("awaitUninterruptibly", () -> {
                lock.lock();
                try {
                    cond.awaitUninterruptibly();
                    return "interrupted=" + Thread.currentThread().isInterrupted() + " held=" + lock.isHeldByCurrentThread();
                } finally {
                    lock.unlock();
                }
            });
            until(() -> cond.waiters() >= 1, "the waiter sleeps on the condition");
            patient.interrupt();
            agent.ok("lock L");
            agent.ok("signal C");
            agent.ok("unlock L");
            assertEquals("interrupted=true held=true", patient.join());

            // interrupted before the call
            lock.lock();
            try {
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, cond::await);
                assertTrue(lock.isHeldByCurrentThread());
                Thread.currentThread().interrupt();
                assertThrows(InterruptedException.class, () -> cond.await(1, TimeUnit.SECONDS));
                assertTrue(lock.isHeldByCurrentThread());
            } finally {
                Thread.interrupted();
                lock.unlock();
            }
            agent.ok("close C");
            agent.ok("close L");
        } finally {
            SharedMemory.unlink(name);
        }
    }
}
