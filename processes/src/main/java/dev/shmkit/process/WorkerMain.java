package dev.shmkit.process;

import dev.shmkit.queue.Codec;
import dev.shmkit.ring.MessageHandler;
import dev.shmkit.ring.SharedRing;
import dev.shmkit.ring.WaitStrategy;
import dev.shmkit.shm.SharedMemory;

import java.io.DataInputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The entry point of every child JVM shmkit starts: a pool worker or a single child process. Not
 * an API. Arguments: the name of the shared memory object the parent prepared, the role
 * ({@code worker} or {@code child}), the pool or child name, and the worker slot. The name and
 * role also let {@code shmkit ps} recognize shmkit's children in {@code /proc}.
 *
 * <p>Start-up: map the object and remove its name at once (both processes have it mapped now, so
 * nothing can leak), take stdin as the control pipe (the task sees an empty {@code System.in}),
 * read the set-up message, then start the watcher thread that reads later control messages and,
 * at end of file, stops a daemon child: the parent is gone, even if it was killed with
 * {@code kill -9}.
 */
final class WorkerMain {
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT_UNALIGNED;
    private static final long IDLE = -1L;
    private static final long INTERRUPTING = -2L;
    private static final long INTERRUPTED = -3L;

    private final String segmentName;
    private final boolean pool;
    private final SharedMemory shm;
    private final MemorySegment ctl;
    private final DataInputStream control;
    private final Thread mainThread = Thread.currentThread();
    private final Object ctlMonitor = new Object();
    private volatile int processedControl;
    private final Map<Integer, Defined> functions = new ConcurrentHashMap<>();
    private final Set<Integer> cancelledJobs = ConcurrentHashMap.newKeySet();
    private volatile boolean anyCancelled;
    private final AtomicLong current = new AtomicLong(IDLE);
    private final long pid = ProcessHandle.current().pid();
    private Setup setup;
    private AllowList allow;
    private ValueCodec values;
    private SharedRing tasks;
    private SharedRing results;
    private long started;
    private long resultCount;
    private long executed;
    private boolean stopping;
    private int lastFnId = -1;
    private Defined lastFn;
    private final Fragments.Assembler assembler = new Fragments.Assembler(Integer.MAX_VALUE);

    /** A function a P_DEFINE registered. */
    private record Defined(byte kind, Object closure, Codec<Object> in, Codec<Object> out) {}

    private WorkerMain(String segmentName, boolean pool, SharedMemory shm, DataInputStream control) {
        this.segmentName = segmentName;
        this.pool = pool;
        this.shm = shm;
        this.ctl = shm.segment();
        this.control = control;
    }

    static final boolean TRACE = Boolean.getBoolean("shmkit.child.trace");
    static final long T0 = System.nanoTime();

    static void trace(String what) {
        if (TRACE) System.err.printf("shmkit child %d: %-28s %7.1f ms since main%n", ProcessHandle.current().pid(), what, (System.nanoTime() - T0) / 1e6);
    }

    public static void main(String[] args) {
        trace("main");
        if (args.length < 2) {
            System.err.println("shmkit child: expected SEGMENT ROLE [NAME SLOT]; this is shmkit's child entry point, not a program to run by hand");
            System.exit(Wire.EXIT_SETUP_FAILED);
        }
        DataInputStream control = ControlPipe.input(new FileInputStream(FileDescriptor.in));
        System.setIn(java.io.InputStream.nullInputStream());
        boolean pool = "worker".equals(args[1]);
        SharedMemory shm = null;
        SharedRing tasks = null;
        SharedRing results = null;
        try {
            shm = SharedMemory.open(args[0]);
            trace("control mapped");
            if (pool) tasks = SharedRing.open(Wire.taskRingName(args[0]));
            trace("task ring mapped");
            results = SharedRing.open(Wire.resultRingName(args[0]));
        } catch (RuntimeException e) {
            System.err.println("shmkit child: cannot open " + args[0] + ": " + e.getMessage());
            System.exit(Wire.EXIT_SETUP_FAILED);
        } finally {
            // Both sides have the objects mapped now (or the parent gave up on this child): the names can go.
            for (String n : new String[] {args[0], Wire.taskRingName(args[0]), Wire.resultRingName(args[0])}) {
                try {
                    SharedMemory.unlink(n);
                } catch (RuntimeException ignored) {
                    // already removed
                }
            }
        }
        trace("objects mapped");
        WorkerMain w = new WorkerMain(args[0], pool, shm, control);
        w.tasks = tasks;
        w.results = results;
        w.run();
    }

    private void run() {
        try {
            Wire.validate(ctl, "shared memory object " + segmentName);
            ControlPipe.Message m = ControlPipe.read(control);
            if (m == null) halt(Wire.EXIT_PARENT_GONE);
            if (m.type() != Wire.P_SETUP) throw new IOException("expected the set-up message, got type " + m.type());
            setup = Setup.readFrom(m.body());
            processedControl = 1;
            trace("set-up read");
            allow = AllowList.withJdkValues(setup.allow());
            values = new ValueCodec(allow, true, null);
            if (pool) tasks.waitStrategy(WaitStrategy.valueOf(setup.waitStrategy()));
        } catch (IOException | RuntimeException e) {
            System.err.println("shmkit child: set-up failed: " + e);
            halt(Wire.EXIT_SETUP_FAILED);
        }
        Thread watcher = new Thread(this::watch, "shmkit-control");
        watcher.setDaemon(true);
        watcher.start();
        Runtime.getRuntime().addShutdownHook(new Thread(WorkerMain::destroyDescendants, "shmkit-descendants"));
        if (pool) runWorker();
        else runChild();
    }

    // ------------------------------------------------------------------ control messages

    private void watch() {
        try {
            while (true) {
                ControlPipe.Message m = ControlPipe.read(control);
                if (m == null) break;
                try {
                    handleControl(m);
                } catch (IOException | RuntimeException | LinkageError e) {
                    System.err.println("shmkit child " + pid + ": bad control message: " + e);
                }
                synchronized (ctlMonitor) {
                    processedControl++;
                    ctlMonitor.notifyAll();
                }
            }
        } catch (IOException e) {
            // the pipe broke: the parent is gone
        } catch (Throwable t) {
            // Out of memory here, say: without this thread the worker would wait for its control messages forever.
            System.err.println("shmkit child " + pid + ": control thread failed: " + t + "; stopping");
            halt(Wire.EXIT_VM_ERROR);
        }
        if (setup.daemon()) {
            destroyDescendants();
            halt(Wire.EXIT_PARENT_GONE);
        }
    }

    private void handleControl(ControlPipe.Message m) throws IOException {
        DataInputStream in = m.body();
        switch (m.type()) {
            case Wire.P_DEFINE -> {
                int id = in.readInt();
                byte kind = in.readByte();
                Codec<Object> cin = ControlPipe.readCodec(in);
                Codec<Object> cout = ControlPipe.readCodec(in);
                Object closure;
                try {
                    closure = Closures.deserialize(Closures.Serialized.readFrom(in));
                } catch (RuntimeException e) {
                    closure = e; // reported by every task that uses it
                }
                functions.put(id, new Defined(kind, closure, cin, cout));
            }
            case Wire.P_FORGET -> {
                int id = in.readInt();
                functions.remove(id);
            }
            case Wire.P_CANCEL -> {
                int job = in.readInt();
                boolean interrupt = in.readBoolean();
                cancelledJobs.add(job);
                anyCancelled = true;
                if (interrupt) interruptIfRunning(job);
            }
            case Wire.P_ALLOW -> allow.addAll(ControlPipe.readStrings(in));
            default -> throw new IOException("unknown control message type " + m.type());
        }
    }

    private void interruptIfRunning(int job) {
        long c = current.get();
        if (c >= 0 && (int) (c >>> 32) == job && current.compareAndSet(c, INTERRUPTING)) {
            mainThread.interrupt();
            current.set(INTERRUPTED);
        }
    }

    private void awaitControl(int seq) {
        if (processedControl >= seq) return;
        synchronized (ctlMonitor) {
            while (processedControl < seq) {
                try {
                    ctlMonitor.wait(100);
                } catch (InterruptedException e) {
                    // a cancellation aimed at an earlier task; keep waiting
                }
            }
        }
    }

    // ------------------------------------------------------------------ a pool worker

    private void runWorker() {
        if (setup.initializer() != null) {
            try {
                Object init = Closures.deserialize(setup.initializer());
                ((Runnable) init).run();
            } catch (Throwable t) {
                emitControl(Wire.R_INIT_FAILED, ExceptionCodec.encode(t));
                Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_FAILED);
                Wire.ring(ctl);
                halt(Wire.EXIT_INIT_FAILED);
            }
        }
        Wire.setInt(ctl, Wire.CTL_PID, (int) pid);
        Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_READY);
        Wire.ring(ctl);
        trace("ready");
        MessageHandler handler = this::onTask;
        long busy = 0;
        while (!stopping) {
            try {
                tasks.poll(handler, 64, 1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                // an interrupt that arrived between tasks: nothing to stop
            } catch (Throwable t) {
                // Not a task's failure (those are caught and reported): a corrupt record, or memory ran out
                // outside a task. The parent sees this worker exit and replaces it.
                System.err.println("shmkit worker " + pid + ": " + t + "; stopping");
                t.printStackTrace();
                halt(t instanceof VirtualMachineError ? Wire.EXIT_VM_ERROR : Wire.EXIT_SETUP_FAILED);
            }
            if (batchStart != 0) {
                // Time on tasks, not waiting for them: the parent sizes its window by it.
                busy += System.nanoTime() - batchStart;
                batchStart = 0;
                Wire.setLongRelease(ctl, Wire.CTL_BUSY_NANOS, busy);
            }
        }
        Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_STOPPED);
        Wire.ring(ctl);
        tasks.close();
        results.close();
        System.out.flush();
        System.err.flush();
        System.exit(0);
    }

    private long batchStart;

    private void onTask(int type, MemorySegment buf, long index, int length) {
        if (batchStart == 0) batchStart = System.nanoTime();
        switch (type) {
            case Wire.T_TASK -> {
                Defined d = header(buf, index, length);
                int job = buf.get(I, index + 8);
                int task = buf.get(I, index + 12);
                Object o = execute(d, job, task, buf, index + Wire.TASK_HEADER, length - Wire.TASK_HEADER);
                if (o instanceof Fatal f) fatal(job, task, f.error());
                emitOutcome(job, task, o, d.out());
                afterRecord();
            }
            case Wire.T_CHUNK -> {
                Defined d = header(buf, index, length);
                int job = buf.get(I, index + 8);
                int first = buf.get(I, index + 12);
                int count = buf.get(I, index + 16);
                long p = index + Wire.TASK_HEADER + 4;
                long end = index + length;
                Object[] outcomes = new Object[count];
                for (int k = 0; k < count; k++) {
                    int l = buf.get(I, p);
                    if (l < 0 || l > end - p - 4) throw new IllegalStateException("corrupt chunk");
                    Object o = execute(d, job, first + k, buf, p + 4, l);
                    if (o instanceof Fatal f) {
                        if (k > 0) emitChunk(job, first, outcomes, k, d.out()); // the results it has, first
                        fatal(job, first + k, f.error());
                    }
                    outcomes[k] = o;
                    p += 4 + l;
                }
                emitChunk(job, first, outcomes, count, d.out());
                afterRecord();
            }
            case Wire.T_STOP -> stopping = true;
            case Wire.T_FRAGMENT -> {
                MemorySegment whole = assembler.accept(buf, index, length);
                Wire.ring(ctl); // the parent may be waiting for room to send the next fragment
                if (whole != null) onTask(assembler.innerType(), whole, 0, (int) whole.byteSize());
            }
            default -> throw new IllegalStateException("unknown task record type " + type);
        }
    }

    /** After each task record: publish the results; retire once the maximum number of tasks has run. */
    private void afterRecord() {
        publish();
        if (setup.maxTasks() > 0 && executed >= setup.maxTasks() && !stopping) {
            Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_RETIRING);
            emitControl(Wire.R_RETIRING, new byte[0]);
            stopping = true;
        }
    }

    private Defined header(MemorySegment buf, long index, int length) {
        if (length < Wire.TASK_HEADER) throw new IllegalStateException("corrupt task record of " + length + " bytes");
        int seq = buf.get(I, index);
        int fn = buf.get(I, index + 4);
        awaitControl(seq);
        if (fn == lastFnId && lastFn != null) return lastFn;
        Defined d = functions.get(fn);
        if (d == null) throw new IllegalStateException("task refers to unknown function " + fn);
        lastFnId = fn;
        lastFn = d;
        return d;
    }

    /** A task's outcome other than a result. */
    private static final Object CANCELLED = new Object();

    private record Failure(Throwable error) {}

    private record Fatal(VirtualMachineError error) {}

    /** Runs one task: its result, a {@link Failure}, {@link #CANCELLED}, or a {@link Fatal} VM error. */
    private Object execute(Defined d, int job, int index, MemorySegment src, long off, int len) {
        Wire.setLongRelease(ctl, Wire.CTL_STARTED, ++started);
        executed++;
        if (anyCancelled && cancelledJobs.contains(job)) return CANCELLED;
        Object result;
        long id = ((long) job << 32) | (index & 0xffff_ffffL);
        current.setRelease(id);
        try {
            result = invoke(d, src, off, len);
        } catch (Throwable t) {
            result = t instanceof VirtualMachineError vme && !(t instanceof StackOverflowError) ? new Fatal(vme) : new Failure(t);
        }
        if (!current.compareAndSet(id, IDLE)) {
            while (current.get() != INTERRUPTED) Thread.onSpinWait();
            current.set(IDLE);
        }
        Thread.interrupted(); // an interrupt aimed at this task ends with it
        return result;
    }

    /** Out of memory or another VM error: report it for this task, then stop; the pool replaces this worker. */
    private void fatal(int job, int index, VirtualMachineError error) {
        try {
            emitError(Wire.R_FATAL, job, index, error);
        } finally {
            System.err.println("shmkit worker " + pid + ": " + error + " in task " + index + "; this worker stops and is replaced");
            halt(Wire.EXIT_VM_ERROR);
        }
    }

    private void emitOutcome(int job, int index, Object o, Codec<Object> codec) {
        if (o == CANCELLED) emitSimple(Wire.R_CANCELLED, job, index);
        else if (o instanceof Failure f) emitError(Wire.R_ERROR, job, index, f.error());
        else emitValue(job, index, o, codec);
    }

    /**
     * The outcomes of the first {@code n} tasks of a chunk in one record (one commit for them all:
     * each commit costs a fence and a cross-core cache-line transfer, so this is what makes chunks fast).
     */
    private void emitChunk(int job, int first, Object[] outcomes, int n, Codec<Object> codec) {
        Codec<Object> c = codec == null ? values : codec;
        byte[] status = new byte[n];
        int[] sizes = new int[n];
        byte[][] bytes = new byte[n][];
        long total = 12;
        for (int k = 0; k < n; k++) {
            Object o = outcomes[k];
            if (o == CANCELLED) {
                status[k] = 2;
            } else if (o instanceof Failure f) {
                status[k] = 1;
                bytes[k] = describe(f.error());
                sizes[k] = bytes[k].length;
            } else {
                try {
                    sizes[k] = c.size(o);
                } catch (Throwable t) {
                    status[k] = 1;
                    bytes[k] = describe(new IllegalArgumentException("cannot send the task's result back: " + t.getMessage(), t));
                    sizes[k] = bytes[k].length;
                }
            }
            total += 5 + sizes[k];
        }
        boolean inPlace = total <= results.maxPayload();
        if (inPlace) {
            long i = claim(Wire.R_CHUNK, (int) total);
            try {
                writeChunk(results.buffer(), i, job, first, outcomes, n, status, sizes, bytes, c);
                results.commit(i);
            } catch (Throwable t) {
                results.abort(i); // a value changed between sizing and encoding: go the careful way
                inPlace = false;
            }
        }
        if (!inPlace) {
            // Encode each result on its own first, so one that fails becomes that task's error.
            total = 12;
            for (int k = 0; k < n; k++) {
                if (status[k] == 0) {
                    try {
                        byte[] b = new byte[c.size(outcomes[k])];
                        c.encode(outcomes[k], MemorySegment.ofArray(b), 0);
                        bytes[k] = b;
                    } catch (Throwable t) {
                        status[k] = 1;
                        bytes[k] = describe(new IllegalArgumentException("cannot send the task's result back: " + t.getMessage(), t));
                    }
                    sizes[k] = bytes[k].length;
                }
                total += 5 + sizes[k];
            }
            byte[] all = new byte[(int) total];
            writeChunk(MemorySegment.ofArray(all), 0, job, first, outcomes, n, status, sizes, bytes, null);
            send(Wire.R_CHUNK, all);
        }
        resultCount += n;
        Wire.setLongRelease(ctl, Wire.CTL_RESULTS, resultCount);
    }

    private static void writeChunk(MemorySegment b, long i, int job, int first, Object[] outcomes, int n, byte[] status, int[] sizes,
                                   byte[][] bytes, Codec<Object> codec) {
        b.set(I, i, job);
        b.set(I, i + 4, first);
        b.set(I, i + 8, n);
        long p = i + 12;
        for (int k = 0; k < n; k++) {
            b.set(ValueLayout.JAVA_BYTE, p, status[k]);
            b.set(I, p + 1, sizes[k]);
            if (bytes[k] != null) MemorySegment.copy(bytes[k], 0, b, ValueLayout.JAVA_BYTE, p + 5, sizes[k]);
            else if (status[k] == 0) codec.encode(outcomes[k], b, p + 5);
            p += 5 + sizes[k];
        }
    }

    private static byte[] describe(Throwable t) {
        try {
            return ExceptionCodec.encode(t);
        } catch (Throwable again) {
            return ExceptionCodec.encode(new RuntimeException(t.getClass().getName() + " (could not be described: " + again + ")"));
        }
    }

    @SuppressWarnings("unchecked")
    private Object invoke(Defined d, MemorySegment src, long off, int len) throws Exception {
        if (d.closure() instanceof RuntimeException setupFailure) throw setupFailure;
        return switch (d.kind()) {
            case Wire.K_FUNCTION -> ((Function<Object, Object>) d.closure()).apply(decode(d.in(), src, off, len));
            case Wire.K_BIFUNCTION -> {
                Object a = decode(d.in(), src, off, len);
                if (!(a instanceof Map.Entry<?, ?> e)) throw new IllegalStateException("starmap argument is not a pair: " + a);
                yield ((BiFunction<Object, Object, Object>) d.closure()).apply(e.getKey(), e.getValue());
            }
            case Wire.K_CALLABLE -> ((java.util.concurrent.Callable<Object>) d.closure()).call();
            case Wire.K_RUNNABLE -> {
                ((Runnable) d.closure()).run();
                yield null;
            }
            default -> throw new IllegalStateException("unknown task kind " + d.kind());
        };
    }

    private Object decode(Codec<Object> in, MemorySegment src, long off, int len) {
        return (in == null ? values : in).decode(src, off, len);
    }

    // ------------------------------------------------------------------ a single child

    private void runChild() {
        Wire.setInt(ctl, Wire.CTL_PID, (int) pid);
        Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_READY);
        Wire.ring(ctl);
        Object result = null;
        Throwable failure = null;
        try {
            if (setup.taskKind() == Wire.K_MAIN) {
                invokeMain(setup.mainClass(), setup.mainArgs().toArray(String[]::new));
            } else {
                Object task = Closures.deserialize(setup.task());
                result = switch (setup.taskKind()) {
                    case Wire.K_CALLABLE -> ((java.util.concurrent.Callable<?>) task).call();
                    case Wire.K_RUNNABLE -> {
                        ((Runnable) task).run();
                        yield null;
                    }
                    default -> throw new IllegalStateException("unknown task kind " + setup.taskKind());
                };
            }
        } catch (Throwable t) {
            failure = t;
        }
        Wire.setLongRelease(ctl, Wire.CTL_STARTED, 1);
        if (failure != null) emitError(Wire.R_ERROR, 0, 0, failure);
        else emitValue(0, 0, result, null);
        Wire.setInt(ctl, Wire.CTL_STATE, Wire.STATE_STOPPED);
        Wire.ring(ctl);
        System.out.flush();
        System.err.flush();
        if (failure != null) System.exit(Wire.EXIT_TASK_FAILED);
        // Success: return like any main does; the JVM exits when its non-daemon threads have ended.
    }

    /** Runs a main method as the java launcher would (JEP 512: static or instance, with or without String[]). */
    private static void invokeMain(String className, String[] args) throws Throwable {
        Class<?> c = Class.forName(className, true, ClassLoader.getSystemClassLoader());
        Method m = find(c, true);
        boolean withArgs = m != null;
        if (m == null) m = find(c, false);
        if (m == null) throw new NoSuchMethodException(className + " has no main(String[]) or main() method");
        m.trySetAccessible();
        Object target = null;
        if (!Modifier.isStatic(m.getModifiers())) {
            var ctor = c.getDeclaredConstructor();
            ctor.trySetAccessible();
            target = ctor.newInstance();
        }
        try {
            if (withArgs) m.invoke(target, (Object) args);
            else m.invoke(target);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Method find(Class<?> c, boolean withArgs) {
        for (Class<?> k = c; k != null && k != Object.class; k = k.getSuperclass()) {
            try {
                Method m = withArgs ? k.getDeclaredMethod("main", String[].class) : k.getDeclaredMethod("main");
                if (!Modifier.isPrivate(m.getModifiers()) && m.getReturnType() == void.class) return m;
            } catch (NoSuchMethodException e) {
                // look further up
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ results

    private void emitValue(int job, int index, Object value, Codec<Object> codec) {
        Codec<Object> c = codec == null ? values : codec;
        int size;
        try {
            size = c.size(value);
        } catch (Throwable t) {
            emitError(Wire.R_ERROR, job, index, new IllegalArgumentException("cannot send the task's result back: " + t.getMessage(), t));
            return;
        }
        long total = (long) Wire.RESULT_HEADER + size;
        if (total <= results.maxPayload()) {
            long i = claim(Wire.R_OK, (int) total);
            MemorySegment b = results.buffer();
            b.set(I, i, job);
            b.set(I, i + 4, index);
            try {
                c.encode(value, b, i + Wire.RESULT_HEADER);
            } catch (Throwable t) {
                results.abort(i);
                emitError(Wire.R_ERROR, job, index, new IllegalArgumentException("cannot send the task's result back: " + t.getMessage(), t));
                return;
            }
            results.commit(i);
        } else {
            if (total > Integer.MAX_VALUE - 16) {
                emitError(Wire.R_ERROR, job, index, new IllegalArgumentException("a result of " + total + " bytes is too large to send"));
                return;
            }
            byte[] bytes = new byte[(int) total];
            MemorySegment s = MemorySegment.ofArray(bytes);
            s.set(I, 0, job);
            s.set(I, 4, index);
            try {
                c.encode(value, s, Wire.RESULT_HEADER);
            } catch (Throwable t) {
                emitError(Wire.R_ERROR, job, index, new IllegalArgumentException("cannot send the task's result back: " + t.getMessage(), t));
                return;
            }
            new Fragments.Outgoing(Wire.R_FRAGMENT, Wire.R_OK, bytes).sendAll(results, this::claim);
        }
        committed();
    }

    private void emitError(int type, int job, int index, Throwable t) {
        byte[] e;
        try {
            e = ExceptionCodec.encode(t);
        } catch (Throwable again) {
            e = ExceptionCodec.encode(new RuntimeException(t.getClass().getName() + " (could not be described: " + again + ")"));
        }
        byte[] bytes = new byte[Wire.RESULT_HEADER + e.length];
        MemorySegment s = MemorySegment.ofArray(bytes);
        s.set(I, 0, job);
        s.set(I, 4, index);
        MemorySegment.copy(e, 0, s, ValueLayout.JAVA_BYTE, Wire.RESULT_HEADER, e.length);
        send(type, bytes);
        committed();
    }

    private void emitSimple(int type, int job, int index) {
        long i = claim(type, Wire.RESULT_HEADER);
        results.buffer().set(I, i, job);
        results.buffer().set(I, i + 4, index);
        results.commit(i);
        committed();
    }

    private void emitControl(int type, byte[] payload) {
        send(type, payload);
        Wire.ring(ctl);
    }

    private void send(int type, byte[] bytes) {
        if (bytes.length <= results.maxPayload()) {
            long i = claim(type, bytes.length);
            MemorySegment.copy(bytes, 0, results.buffer(), ValueLayout.JAVA_BYTE, i, bytes.length);
            results.commit(i);
        } else {
            new Fragments.Outgoing(Wire.R_FRAGMENT, type, bytes).sendAll(results, this::claim);
        }
    }

    private void committed() {
        Wire.setLongRelease(ctl, Wire.CTL_RESULTS, ++resultCount);
    }

    /**
     * Publishes the result count and rings the parent's doorbell if it waits for that many. Called
     * after each task record (one task, or a chunk of them) and whenever the worker is about to
     * wait. The volatile store orders the count before the reads of wake-at and the parent-waiting
     * flag (Dekker with {@code Wire.sleep}): a parent going to sleep either sees the results or is woken.
     */
    private void publish() {
        Wire.setLong(ctl, Wire.CTL_RESULTS, resultCount);
        if (resultCount >= Wire.getLong(ctl, Wire.CTL_WAKE_AT)) Wire.ring(ctl);
    }

    /** Claims room in the result ring, waking the parent to drain it when it is full. */
    private long claim(int type, int length) {
        long i = results.tryClaim(type, length);
        while (i < 0) {
            Wire.ring(ctl);
            try {
                i = results.claim(type, length, 20, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                // a stray cancellation: try again
            }
        }
        return i;
    }

    // ------------------------------------------------------------------ leaving

    private static void destroyDescendants() {
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
    }

    private static void halt(int status) {
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }
}
