package dev.shmkit.cli;

import dev.shmkit.signals.SysVMessageQueue;
import dev.shmkit.testkit.Names;
import dev.shmkit.testkit.Programs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static dev.shmkit.cli.CliTest.shmkit;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code shmkit msgq ...}: System V queues from the shell, checked with {@code ipcs -q} and python3. */
class MsgqCliTest {
    private final int key = Names.uniqueKey();
    private final String hex = String.format("0x%08x", key);

    @AfterEach
    void cleanup() {
        SysVMessageQueue.remove(key);
    }

    private static String text(CliTest.Outcome o) {
        return new String(o.bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void createSendReceiveByTypeInfoRm() {
        CliTest.Outcome created = shmkit("msgq", "create", "--key", hex);
        assertEquals(0, created.status(), created.err());
        int id = Integer.parseInt(created.out().trim());
        assertEquals(0, shmkit("msgq", "send", "--key", hex, "--type", "3", "three").status());
        assertEquals(0, shmkit("msgq", "send", "--key", hex, "--type", "1", "one").status());
        assertEquals(0, shmkit("two\n".getBytes(StandardCharsets.UTF_8), "msgq", "send", "--key", hex, "--type", "2").status());
        CliTest.Outcome info = shmkit("msgq", "info", "--key", hex);
        assertTrue(info.out().startsWith("key: " + hex + "\nid: " + id + "\nmessages: 3\nbytes: 12\nmax-bytes: "), info.out());
        assertTrue(info.out().contains("mode: 0600\nlast-send-pid: " + ProcessHandle.current().pid() + "\nlast-receive-pid: 0\n"), info.out());
        if (Programs.available("ipcs")) {
            assertTrue(Programs.run("ipcs", "-q").stdout().lines().anyMatch(l -> l.startsWith(hex + " ") && l.contains(" " + id + " ")));
        }
        assertEquals("2 two\n", text(shmkit("msgq", "receive", "--key", hex, "--type", "2", "--with-type")));
        assertEquals("1 one", text(shmkit("msgq", "receive", "--id", Integer.toString(id), "--type", "-5", "--with-type")));
        assertEquals("three", text(shmkit("msgq", "receive", "--key", hex)));
        assertEquals(0, shmkit("msgq", "rm", "--key", hex).status());
        CliTest.Outcome again = shmkit("msgq", "rm", "--key", hex);
        assertEquals(1, again.status());
        assertEquals("shmkit msgq rm: msgctl(key " + hex + ", IPC_RMID): ENOENT (no such queue)\n", again.err());
        assertEquals(0, shmkit("msgq", "rm", "--key", hex, "--force").status());
    }

    @Test
    void timeoutsAreStatus3AndBadInputIsRefused() {
        assertEquals(0, shmkit("msgq", "create", "--key", hex).status());
        CliTest.Outcome empty = shmkit("msgq", "receive", "--key", hex, "--type", "4", "--timeout", "100ms");
        assertEquals(3, empty.status());
        assertEquals("shmkit msgq receive: receiving from key " + hex + " (type 4) (no message came) timed out after 100ms\n", empty.err());
        SysVMessageQueue q = SysVMessageQueue.open(key);
        int size = (int) Math.min(q.stat().maxBytes(), SysVMessageQueue.maxMessageSize().orElse(q.stat().maxBytes()));
        while (q.trySend(1, new byte[size])) { /* fill */ }
        CliTest.Outcome full = shmkit(new byte[size], "msgq", "send", "--key", hex, "--type", "1", "--timeout", "100ms");
        assertEquals(3, full.status());
        assertTrue(full.err().endsWith("(the queue stayed full) timed out after 100ms\n"), full.err());
        assertEquals(2, shmkit("msgq", "send", "--key", hex, "--type", "0", "x").status());
        assertEquals(2, shmkit("msgq", "send", "--key", hex, "x").status(), "--type is required");
        assertEquals(1, shmkit("msgq", "create", "--key", hex).status());
        CliTest.Outcome missing = shmkit("msgq", "info", "--key", "0x5a000000");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("ENOENT"), missing.err());
    }

    @Test
    void aPythonProgramReadsWhatTheShellSent() {
        assumeTrue(Programs.available("python3"), "no python3");
        assertEquals(0, shmkit("msgq", "create", "--key", hex).status());
        assertEquals(0, shmkit("msgq", "send", "--key", hex, "--type", "6", "for python").status());
        String py = """
                import ctypes, sys
                libc = ctypes.CDLL(None, use_errno=True)
                class Msg(ctypes.Structure):
                    _fields_ = [("mtype", ctypes.c_long), ("mtext", ctypes.c_char * 8192)]
                libc.msgrcv.restype = ctypes.c_ssize_t
                libc.msgrcv.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long, ctypes.c_int]
                qid = libc.msgget(ctypes.c_int(int(sys.argv[1], 0)), 0)
                m = Msg()
                n = libc.msgrcv(qid, ctypes.byref(m), 8192, 0, 0)
                print(m.mtype, m.mtext[:n].decode())
                """;
        assertEquals("6 for python\n", Programs.run("python3", "-c", py, hex).assertSuccess().stdout());
    }
}
