package dev.shmkit.demos;

import dev.shmkit.shm.SharedMemory;
import dev.shmkit.sync.SharedCondition;
import dev.shmkit.sync.SharedLock;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * Course days 6–7: producer and consumer processes sharing a bounded buffer, coordinated by a
 * {@link SharedLock} and two {@link SharedCondition}s ("not full", "not empty"). Everything
 * lives in one shared memory segment:
 *
 * <pre>
 *   0   SharedLock            (64 bytes)
 *  64   condition notFull     (16 bytes)
 *  80   condition notEmpty    (16 bytes)
 *  96   int head, int tail, int count
 * 112   long slots[CAPACITY]
 * </pre>
 *
 * <pre>bin/shmkit-java dev.shmkit.demos.ProducerConsumerDemo [items]</pre>
 */
public final class ProducerConsumerDemo {
    private static final int CAPACITY = 4;
    private static final long LOCK = 0, NOT_FULL = 64, NOT_EMPTY = 80, HEAD = 96, TAIL = 100, COUNT = 104, SLOTS = 112;
    private static final long SIZE = SLOTS + CAPACITY * 8L;

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("--consumer")) {
            consumer(args[1], Integer.parseInt(args[2]));
            return;
        }
        int items = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        String name = "/shmkit-prodcons-" + ProcessHandle.current().pid();
        try (SharedMemory shm = SharedMemory.create(name, SIZE)) {
            MemorySegment s = shm.segment();
            SharedLock lock = SharedLock.create(s, LOCK);
            SharedCondition notFull = SharedCondition.create(s, NOT_FULL, lock);
            SharedCondition.create(s, NOT_EMPTY, lock);
            SharedCondition notEmpty = SharedCondition.open(s, NOT_EMPTY, lock);
            System.out.println("[producer " + ProcessHandle.current().pid() + "] buffer of " + CAPACITY
                    + " slots in " + name + "; starting a consumer process");
            Process consumer = Jvm.demo(ProducerConsumerDemo.class, "--consumer", name, Integer.toString(items)).inheritIO().start();
            for (int i = 1; i <= items; i++) {
                long item = (long) i * i;
                lock.lock();
                try {
                    while ((int) s.get(ValueLayout.JAVA_INT, COUNT) == CAPACITY) {
                        System.out.println("[producer] buffer full, waiting on notFull");
                        notFull.await(5, TimeUnit.SECONDS);
                    }
                    int tail = s.get(ValueLayout.JAVA_INT, TAIL);
                    s.set(ValueLayout.JAVA_LONG, SLOTS + tail * 8L, item);
                    s.set(ValueLayout.JAVA_INT, TAIL, (tail + 1) % CAPACITY);
                    s.set(ValueLayout.JAVA_INT, COUNT, s.get(ValueLayout.JAVA_INT, COUNT) + 1);
                    System.out.println("[producer] put " + item);
                    notEmpty.signal();
                } finally {
                    lock.unlock();
                }
            }
            if (consumer.waitFor() != 0) throw new IllegalStateException("consumer failed");
            System.out.println("[producer] consumer finished; done");
        } finally {
            SharedMemory.unlink(name);
        }
    }

    private static void consumer(String name, int items) throws InterruptedException {
        try (SharedMemory shm = SharedMemory.open(name)) {
            MemorySegment s = shm.segment();
            SharedLock lock = SharedLock.open(s, LOCK);
            SharedCondition notFull = SharedCondition.open(s, NOT_FULL, lock);
            SharedCondition notEmpty = SharedCondition.open(s, NOT_EMPTY, lock);
            long sum = 0;
            for (int i = 0; i < items; i++) {
                long item;
                lock.lock();
                try {
                    while ((int) s.get(ValueLayout.JAVA_INT, COUNT) == 0) notEmpty.await(5, TimeUnit.SECONDS);
                    int head = s.get(ValueLayout.JAVA_INT, HEAD);
                    item = s.get(ValueLayout.JAVA_LONG, SLOTS + head * 8L);
                    s.set(ValueLayout.JAVA_INT, HEAD, (head + 1) % CAPACITY);
                    s.set(ValueLayout.JAVA_INT, COUNT, s.get(ValueLayout.JAVA_INT, COUNT) - 1);
                    notFull.signal();
                } finally {
                    lock.unlock();
                }
                sum += item;
                System.out.println("        [consumer " + ProcessHandle.current().pid() + "] got " + item);
            }
            System.out.println("        [consumer] received " + items + " items, sum " + sum);
        }
    }
}
