package dev.shmkit.queue;

import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.shmkit.queue.TestSupport.millisSince;
import static dev.shmkit.queue.TestSupport.task;
import static dev.shmkit.queue.TestSupport.untilInside;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link JoinableQueue}: Python's task_done/join, across processes. */
class JoinableQueueTest {
    private final String name = Names.unique("jqueue");

    @AfterEach
    void cleanup() {
        SharedQueue.unlink(name);
    }

    @Test
    void joinReturnsWhenWorkersInTwoProcessesHaveMarkedEveryTaskDone() throws Exception {
        int items = 2_000;
        try (JoinableQueue<Integer> q = JoinableQueue.create(name, 1 << 12, Codec.ints())) {
            List<ChildJvm> workers = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) workers.add(ChildJvm.start(QueueChild.class, "join-worker", name));
                for (ChildJvm w : workers) w.expectLine("ready");
                long expected = 0;
                for (int i = 1; i <= items; i++) {
                    q.put(i); // a 4 KiB ring holds 256: puts wait for the workers
                    expected += i;
                }
                assertTrue(q.join(30, TimeUnit.SECONDS), "join returns once every item is done; unfinished " + q.unfinishedTasks());
                assertEquals(0, q.unfinishedTasks());
                assertEquals(0, q.size());
                for (ChildJvm w : workers) q.put(-1);
                q.join();
                long sum = 0;
                int n = 0;
                for (ChildJvm w : workers) {
                    String[] f = w.readLine().split(" ");
                    assertEquals("sum", f[0]);
                    sum += Long.parseLong(f[1]);
                    n += Integer.parseInt(f[2]);
                    w.assertSuccess();
                }
                assertEquals(items, n);
                assertEquals(expected, sum);
            } finally {
                for (ChildJvm w : workers) w.close();
            }
        }
    }

    @Test
    void taskDoneTooOftenIsRefused() throws Exception {
        try (JoinableQueue<String> q = JoinableQueue.create(name, 1024, Codec.string())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, q::taskDone);
            assertTrue(e.getMessage().contains("taskDone() called too many times"), e.getMessage());
            q.put("a");
            q.put("b");
            assertEquals(2, q.unfinishedTasks());
            q.take();
            q.taskDone();
            assertEquals(1, q.unfinishedTasks());
            assertFalse(q.join(50, TimeUnit.MILLISECONDS), "one task is unfinished");
            q.taskDone(); // any process or thread may mark a task done, even before taking it
            assertEquals(0, q.unfinishedTasks());
            assertThrows(IllegalStateException.class, q::taskDone);
            assertEquals(0, q.unfinishedTasks(), "a refused taskDone changes nothing");
            assertTrue(q.join(0, TimeUnit.SECONDS));
            q.join();
            assertEquals("b", q.take());
        }
    }

    @Test
    void joinTimesOutAndIsInterruptible() throws Exception {
        try (JoinableQueue<String> q = JoinableQueue.create(name, 1024, Codec.string())) {
            q.put("pending");
            long t0 = System.nanoTime();
            assertFalse(q.join(100, TimeUnit.MILLISECONDS));
            assertTrue(millisSince(t0) >= 100);
            assertFalse(q.join(-1, TimeUnit.SECONDS));

            var joiner = task("join", () -> {
                q.join();
                return "joined";
            });
            untilInside(joiner.thread, "join0");
            joiner.interrupt();
            assertInstanceOf(InterruptedException.class, joiner.joinFailure());

            var waiting = task("join", () -> {
                q.join();
                return "joined";
            });
            untilInside(waiting.thread, "join0");
            assertEquals("pending", q.take());
            q.taskDone();
            assertEquals("joined", waiting.join());

            q.put("x");
            Thread.currentThread().interrupt();
            assertThrows(InterruptedException.class, () -> q.join(1, TimeUnit.SECONDS));
        }
    }

    @Test
    void everyHandleCountsAndClearMarksDiscardedTasksDone() throws Exception {
        try (JoinableQueue<String> q = JoinableQueue.create(name, 1024, Codec.string());
             SharedQueue<String> plain = SharedQueue.open(name, Codec.string())) {
            assertTrue(plain.isJoinable());
            plain.put("via a plain handle");
            plain.put("another");
            assertEquals(2, q.unfinishedTasks());
            assertEquals(2, plain.stats().unfinishedTasks());
            q.clear();
            assertEquals(0, q.size());
            assertEquals(0, q.unfinishedTasks());
            assertTrue(q.join(0, TimeUnit.SECONDS));
        }
        String plainName = Names.unique("queue-plain");
        try (SharedQueue<String> notJoinable = SharedQueue.create(plainName, 1024, Codec.string())) {
            assertEquals(-1, notJoinable.stats().unfinishedTasks());
        } finally {
            SharedQueue.unlink(plainName);
        }
    }
}
