package dev.shmkit.process;

import dev.shmkit.queue.Codec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The closures a pool has sent to its workers, by id. A function is serialized once, when a call
 * first uses it, and registered in each worker (over its control pipe) before the first task that
 * needs it; tasks then carry only its id. Definitions are counted by the jobs that use them; unused
 * ones stay cached (the same lambda instance passed again is not serialized again) up to a bound,
 * then are forgotten by the workers too.
 */
final class FunctionTable {
    private static final int IDLE_CACHE = 64;

    /** One registered closure. */
    static final class Def {
        final int id;
        final byte kind;
        final Object closure;
        final Closures.Serialized serialized;
        final Codec<Object> in;
        final Codec<Object> out;
        final Closures.Serialized inSerialized;
        final Closures.Serialized outSerialized;
        final Timing timing;
        int refs;

        Def(int id, byte kind, Object closure, Closures.Serialized serialized, Codec<Object> in, Codec<Object> out,
            Closures.Serialized inSerialized, Closures.Serialized outSerialized, Timing timing) {
            this.timing = timing;
            this.id = id;
            this.kind = kind;
            this.closure = closure;
            this.serialized = serialized;
            this.in = in;
            this.out = out;
            this.inSerialized = inSerialized;
            this.outSerialized = outSerialized;
        }

        void writeDefine(java.io.DataOutputStream o) throws java.io.IOException {
            o.writeInt(id);
            o.writeByte(kind);
            ControlPipe.writeCodec(o, in, inSerialized);
            ControlPipe.writeCodec(o, out, outSerialized);
            serialized.writeTo(o);
        }
    }

    private record Key(Object closure, byte kind, Codec<?> in, Codec<?> out) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.closure == closure && k.kind == kind && k.in == in && k.out == out;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(closure) * 31 + kind;
        }
    }

    /**
     * How long a task of one kind of closure takes in a worker (an exponential moving average of the
     * workers' own measurements), shared by every closure of the same class: the lambdas written at
     * one place in the code, whatever they capture. Unknown (negative) until a task has run.
     */
    static final class Timing {
        private volatile double nanos = -1;

        double nanos() {
            return nanos;
        }

        void sample(double perTask) {
            double n = nanos;
            nanos = n < 0 ? perTask : 0.7 * n + 0.3 * perTask;
        }
    }

    private final Map<Class<?>, Timing> timings = new java.util.concurrent.ConcurrentHashMap<>();
    private final AllowList allowList;
    private final Map<Key, Def> active = new java.util.HashMap<>();
    private final LinkedHashMap<Key, Def> idle = new LinkedHashMap<>(16, 0.75f, true);
    private final Set<Integer> live = ConcurrentHashMap.newKeySet();
    private int nextId = 1;

    FunctionTable(AllowList allowList) {
        this.allowList = allowList;
    }

    /**
     * The definition of {@code closure}, registered and counted.
     *
     * @throws IllegalArgumentException when it cannot be serialized
     */
    @SuppressWarnings("unchecked")
    synchronized Def acquire(Object closure, byte kind, Codec<?> in, Codec<?> out) {
        Key key = new Key(closure, kind, in, out);
        Def d = active.get(key);
        if (d == null) {
            d = idle.remove(key);
            if (d != null) active.put(key, d);
        }
        if (d == null) {
            Closures.Serialized s = Closures.serialize(closure, "the task");
            Closures.Serialized si = ControlPipe.serializeCodec(in);
            Closures.Serialized so = ControlPipe.serializeCodec(out);
            allowList.addPackagesOf(s.classes());
            if (si != null) allowList.addPackagesOf(si.classes());
            if (so != null) allowList.addPackagesOf(so.classes());
            Timing t = timings.computeIfAbsent(closure.getClass(), c -> new Timing());
            d = new Def(nextId++, kind, closure, s, (Codec<Object>) in, (Codec<Object>) out, si, so, t);
            active.put(key, d);
            live.add(d.id);
        }
        d.refs++;
        return d;
    }

    /** A job is done with {@code d}. */
    synchronized void release(Def d) {
        if (--d.refs > 0) return;
        Key key = new Key(d.closure, d.kind, d.in, d.out);
        active.remove(key);
        idle.put(key, d);
        if (idle.size() > IDLE_CACHE) {
            var it = idle.entrySet().iterator();
            Def old = it.next().getValue();
            it.remove();
            live.remove(old.id);
        }
    }

    /** Whether workers should keep definition {@code id}. */
    boolean isLive(int id) {
        return live.contains(id);
    }

    /** Ids among {@code known} that workers may forget. */
    List<Integer> forgotten(Set<Integer> known) {
        List<Integer> f = new ArrayList<>();
        for (Integer id : known) if (!live.contains(id)) f.add(id);
        return f;
    }

    int liveCount() {
        return live.size();
    }
}
