package dev.shmkit.cli;

import dev.shmkit.signals.MessageQueue;
import dev.shmkit.testkit.ChildJvm;
import dev.shmkit.testkit.Child;
import dev.shmkit.testkit.Names;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code shmkit mq ...}: POSIX queues from the shell, shared with a Java program in another process. */
class MqCliTest {
    private final String name = Names.unique("mq-cli");

    @BeforeEach
    void linuxOnly() {
        assumeTrue(MessageQueue.isSupported(), "POSIX message queues are Linux only");
    }

    @AfterEach
    void cleanup() {
        MessageQueue.unlink(name);
    }

    private static String text(CliTest.Outcome o) {
        return new String(o.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void createSendReceiveByPriorityInfoRm() {
        assertEquals(0, shmkit("mq", "create", name, "--max-messages", "4", "--message-size", "128").status());
        assertEquals(0, shmkit("mq", "send", name, "low", "--priority", "1").status());
        assertEquals(0, shmkit("mq", "send", name, "high", "--priority", "9").status());
        assertEquals(0, shmkit("from stdin\n".getBytes(StandardCharsets.UTF_8), "mq", "send", name, "--priority", "5").status());
        CliTest.Outcome info = shmkit("mq", "info", name);
        assertEquals(0, info.status());
        assertTrue(info.out().startsWith("name: " + name + "\nmax-messages: 4\nmessage-size: 128\nmessages: 3\nmode: 0600\nuid: "), info.out());
        CliTest.Outcome first = shmkit("mq", "receive", name, "--with-priority");
        assertEquals("9 high", text(first));
        assertEquals("5 from stdin\n", text(shmkit("mq", "receive", name, "--with-priority")));
        assertEquals("low", text(shmkit("mq", "receive", name)));
        assertEquals(0, shmkit("mq", "rm", name).status());
        CliTest.Outcome again = shmkit("mq", "rm", name);
        assertEquals(1, again.status());
        assertEquals("shmkit mq rm: mq_unlink(\"" + name + "\"): ENOENT (No such file or directory)\n", again.err());
        assertEquals(0, shmkit("mq", "rm", "--force", name).status());
    }

    @Test
    void timeoutsAreStatus3AndLimitsAreClearErrors() {
        assertEquals(0, shmkit("mq", "create", name, "--max-messages", "1", "--message-size", "8").status());
        CliTest.Outcome empty = shmkit("mq", "receive", name, "--timeout", "100ms");
        assertEquals(3, empty.status());
        assertEquals("shmkit mq receive: receiving from " + name + " (the queue stayed empty) timed out after 100ms\n", empty.err());
        assertEquals(0, shmkit("mq", "send", name, "x").status());
        CliTest.Outcome full = shmkit("mq", "send", name, "y", "--timeout", "100ms");
        assertEquals(3, full.status());
        assertEquals("shmkit mq send: sending to " + name + " (the queue stayed full) timed out after 100ms\n", full.err());
        CliTest.Outcome big = shmkit("mq", "send", name, "123456789");
        assertEquals(1, big.status());
        assertTrue(big.err().contains("EMSGSIZE (Message too long: the queue's message size is 8 bytes)"), big.err());
        CliTest.Outcome exists = shmkit("mq", "create", name);
        assertEquals("shmkit mq create: mq_open(\"" + name + "\", O_RDWR|O_CREAT|O_EXCL, 0600): EEXIST (File exists)\n", exists.err());
        CliTest.Outcome tooMany = shmkit("mq", "create", name + "-2", "--max-messages", "1000000");
        assertEquals(1, tooMany.status());
        assertTrue(tooMany.err().contains("/proc/sys/fs/mqueue/msg_max"), tooMany.err());
        assertEquals(2, shmkit("mq", "create", name + "-3", "--max-messages", "0").status());
        assertEquals(2, shmkit("mq", "send", name, "z", "--priority", "-1").status());
        CliTest.Outcome missing = shmkit("mq", "receive", "/shmkit-test-no-such-queue");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("ENOENT"), missing.err());
        assertEquals(1, shmkit("mq", "info", "bad/name").status());
    }

    /** Another JVM: receives one message with a Java MessageQueue, answers at priority 2. */
    public static final class Echo {
        public static void main(String[] args) throws Exception {
            try (MessageQueue q = MessageQueue.open(args[0])) {
                Child.say("ready");
                MessageQueue.Message m = q.receive(Duration.ofSeconds(30)).orElseThrow();
                q.send(("echo: " + m.text()).getBytes(StandardCharsets.UTF_8), 2);
            }
        }
    }

    @Test
    void theShellTalksToAJavaProcess() {
        assertEquals(0, shmkit("mq", "create", name).status());
        try (ChildJvm echo = ChildJvm.start(Echo.class, name)) {
            echo.expectLine("ready");
            assertEquals(0, shmkit("mq", "send", name, "hi there").status());
            echo.assertSuccess();
            assertEquals("2 echo: hi there", text(shmkit("mq", "receive", name, "--timeout", "30s", "--with-priority")));
        }
    }
}
