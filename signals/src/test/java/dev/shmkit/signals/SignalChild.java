package dev.shmkit.signals;

import dev.shmkit.testkit.Child;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;

/**
 * A child JVM driven line by line over stdin, answering each command on stdout once it is done
 * (so the parent knows a handler is installed before it sends anything):
 *
 * <pre>
 * handle SIG    register a handler printing "got SIG on THREAD"     -> ok
 * graceful      handle TERM: print "TERM: shutting down cleanly", exit 0
 * ignore SIG    Signals.ignore                                       -> ok
 * default SIG   Signals.restoreDefault                               -> ok
 * close SIG     close the newest registration for SIG                -> ok
 * hook          add a shutdown hook printing "shutdown hook ran"     -> ok
 * group SIG     Signals.sendToOwnGroup(SIG)                          -> ok
 * ping          -> pong
 * exit          exit 0
 * </pre>
 */
public final class SignalChild {
    private SignalChild() {}

    public static void main(String[] args) {
        Map<Signal, Deque<SignalRegistration>> regs = new EnumMap<>(Signal.class);
        Child.say("ready " + ProcessHandle.current().pid());
        while (true) {
            String[] cmd = Child.listen().split(" ");
            Signal s = cmd.length > 1 ? Signal.parse(cmd[1]) : null;
            switch (cmd[0]) {
                case "handle" -> regs.computeIfAbsent(s, k -> new ArrayDeque<>()).push(Signals.handle(s,
                        x -> Child.say("got " + x.shortName() + " on " + Thread.currentThread().getName())));
                case "graceful" -> regs.computeIfAbsent(Signal.TERM, k -> new ArrayDeque<>()).push(Signals.handle(Signal.TERM, x -> {
                    Child.say("TERM: shutting down cleanly");
                    System.exit(0);
                }));
                case "ignore" -> regs.computeIfAbsent(s, k -> new ArrayDeque<>()).push(Signals.ignore(s));
                case "default" -> regs.computeIfAbsent(s, k -> new ArrayDeque<>()).push(Signals.restoreDefault(s));
                case "close" -> regs.get(s).pop().close();
                case "hook" -> Runtime.getRuntime().addShutdownHook(new Thread(() -> Child.say("shutdown hook ran")));
                case "group" -> Signals.sendToOwnGroup(s);
                case "ping" -> {
                    Child.say("pong");
                    continue;
                }
                case "exit" -> System.exit(0);
                default -> throw new IllegalArgumentException("unknown command " + String.join(" ", cmd));
            }
            Child.say("ok");
        }
    }
}
