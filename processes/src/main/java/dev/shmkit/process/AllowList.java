package dev.shmkit.process;

import java.io.ObjectInputFilter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which classes Java serialization may instantiate when a value read from shared memory is not one
 * of the types the value encoding carries natively. A pattern is a class name
 * ({@code com.example.Point}), a package ({@code com.example.*}: its classes, not its
 * subpackages), a package tree ({@code com.example.**}), or any name prefix ending in {@code *}
 * ({@code java.util.Collections$*}). Everything else is refused.
 *
 * <p>The list starts with {@link #JDK_VALUES}; a pool adds the patterns its builder was given and,
 * automatically, the package of every non-JDK class that appears in the closures the parent
 * sends (the application's own code). It only grows; its {@link #version()} says when.
 */
final class AllowList implements ObjectInputFilter {
    /** JDK value classes that are safe to deserialize: boxes, strings, collections, big numbers, time. */
    static final List<String> JDK_VALUES = List.of(
            "java.lang.Number", "java.lang.Integer", "java.lang.Long", "java.lang.Short", "java.lang.Byte",
            "java.lang.Character", "java.lang.Boolean", "java.lang.Float", "java.lang.Double", "java.lang.String",
            "java.lang.Enum", "java.lang.StackTraceElement",
            "java.math.BigInteger", "java.math.BigDecimal", "java.math.MathContext", "java.math.RoundingMode",
            "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.HashMap",
            "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.HashSet", "java.util.LinkedHashSet",
            "java.util.TreeSet", "java.util.EnumMap", "java.util.EnumSet$SerializationProxy", "java.util.BitSet",
            "java.util.Date", "java.util.UUID", "java.util.Arrays$ArrayList", "java.util.CollSer",
            "java.util.ImmutableCollections$*", "java.util.Collections$*", "java.util.AbstractMap$SimpleEntry",
            "java.util.AbstractMap$SimpleImmutableEntry", "java.util.concurrent.ConcurrentHashMap",
            "java.util.concurrent.ConcurrentHashMap$Segment", "java.util.concurrent.CopyOnWriteArrayList",
            "java.util.concurrent.atomic.AtomicInteger", "java.util.concurrent.atomic.AtomicLong",
            "java.time.*", "java.time.chrono.*", "java.time.zone.*");

    private final Set<String> exact = ConcurrentHashMap.newKeySet();
    private final Set<String> prefixes = ConcurrentHashMap.newKeySet();   // "a.b.Collections$": any class name with this prefix and no further '.'
    private final Set<String> trees = ConcurrentHashMap.newKeySet();      // "a.b.": this package and below
    private final List<String> patterns = new ArrayList<>();
    private volatile int version;

    AllowList(Collection<String> initial) {
        addAll(initial);
    }

    static AllowList withJdkValues(Collection<String> more) {
        AllowList a = new AllowList(JDK_VALUES);
        a.addAll(more);
        return a;
    }

    /** Adds patterns; returns whether any was new. */
    synchronized boolean addAll(Collection<String> more) {
        boolean changed = false;
        for (String p : more) {
            String s = p.strip();
            if (s.isEmpty() || patterns.contains(s)) continue;
            if (s.startsWith("!") || s.contains("=") || s.contains(";")) {
                throw new IllegalArgumentException("not an allow-list pattern (class, package.*, package.** or prefix*): '" + p + "'");
            }
            if (s.endsWith(".**")) trees.add(s.substring(0, s.length() - 2));
            else if (s.endsWith("*")) prefixes.add(s.substring(0, s.length() - 1));
            else exact.add(s);
            patterns.add(s);
            changed = true;
        }
        if (changed) version++;
        return changed;
    }

    /** Allows the packages of the application classes among {@code classNames} (JDK classes are left to the JDK list). */
    boolean addPackagesOf(Collection<String> classNames) {
        List<String> more = new ArrayList<>();
        for (String c : classNames) {
            String n = c;
            while (n.startsWith("[")) n = n.substring(1);
            if (n.startsWith("L") && n.endsWith(";")) n = n.substring(1, n.length() - 1);
            int dot = n.lastIndexOf('.');
            if (dot <= 0 || isJdk(n)) continue;
            String pattern = n.substring(0, dot) + ".*";
            if (!allowsName(n)) more.add(pattern);
        }
        return !more.isEmpty() && addAll(more);
    }

    static boolean isJdk(String className) {
        return className.startsWith("java.") || className.startsWith("javax.") || className.startsWith("jdk.")
                || className.startsWith("sun.") || className.startsWith("com.sun.");
    }

    synchronized List<String> patterns() {
        return List.copyOf(patterns);
    }

    int version() {
        return version;
    }

    boolean allowsName(String name) {
        if (exact.contains(name)) return true;
        for (String p : prefixes) {
            if (name.startsWith(p) && name.indexOf('.', p.length()) < 0) return true;
        }
        for (String t : trees) {
            if (name.startsWith(t)) return true;
        }
        return false;
    }

    @Override
    public Status checkInput(FilterInfo info) {
        Class<?> c = info.serialClass();
        if (c == null) return Status.UNDECIDED;
        while (c.isArray()) c = c.getComponentType();
        if (c.isPrimitive()) return Status.ALLOWED;
        return allowsName(c.getName()) ? Status.ALLOWED : Status.REJECTED;
    }

    @Override
    public String toString() {
        return String.join(";", patterns());
    }
}
