package dev.shmkit.queue;

import org.junit.jupiter.api.Test;

import java.io.ObjectInputFilter;
import java.io.Serializable;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The built-in codecs: round trips, and refusal of corrupt or hostile bytes with a clear message. */
class CodecTest {
    public record Point(int x, int y) {}

    public record Inner(String label, Long maybe) {}

    public record Everything(boolean b, byte by, short s, char c, int i, long l, float f, double d, Boolean bb, Integer boxed,
                             Double nullable, String text, byte[] bytes, ByteBuffer buffer, MemorySegment segment, Inner inner, Inner none) {}

    public record Loop(Loop next) {}

    public record WithList(List<String> list) {}

    public record Positive(int n) {
        public Positive {
            if (n <= 0) throw new IllegalArgumentException("n must be positive");
        }
    }

    public record Tagged(String tag, int n) implements Serializable {}

    private static <E> E roundTrip(Codec<E> codec, E value) {
        int n = codec.size(value);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(n + 16);
            s.fill((byte) 0x5a);
            codec.encode(value, s, 8);
            // nothing written outside the claimed bytes
            for (int i = 0; i < 8; i++) assertEquals(0x5a, s.get(ValueLayout.JAVA_BYTE, i));
            for (long i = 8 + n; i < n + 16; i++) assertEquals(0x5a, s.get(ValueLayout.JAVA_BYTE, i));
            return codec.decode(s, 8, n);
        }
    }

    private static MemorySegment bytes(int... b) {
        byte[] a = new byte[b.length];
        for (int i = 0; i < b.length; i++) a[i] = (byte) b[i];
        return MemorySegment.ofArray(a);
    }

    @Test
    void builtInsRoundTrip() {
        assertArrayEquals(new byte[] {1, 2, 3}, roundTrip(Codec.bytes(), new byte[] {1, 2, 3}));
        assertArrayEquals(new byte[0], roundTrip(Codec.bytes(), new byte[0]));
        for (String s : List.of("", "hello", "héllo wörld", "日本語", "emoji \uD83D\uDE00 pair", "x".repeat(10_000))) {
            assertEquals(s, roundTrip(Codec.string(), s));
            assertEquals(s.getBytes(StandardCharsets.UTF_8).length, Codec.string().size(s));
        }
        // an unpaired surrogate becomes '?', as String.getBytes does, and the size agrees
        String lone = "a\uD800b";
        assertEquals(3, Codec.string().size(lone));
        assertEquals("a?b", roundTrip(Codec.string(), lone));
        assertEquals("\u00e9?", roundTrip(Codec.string(), "\u00e9\uDC00"));
        for (int i : new int[] {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE}) assertEquals(i, roundTrip(Codec.ints(), i));
        for (long l : new long[] {0, -1, Long.MIN_VALUE, Long.MAX_VALUE}) assertEquals(l, roundTrip(Codec.longs(), l));
        for (double d : new double[] {0.0, -0.0, Math.PI, Double.NaN, Double.NEGATIVE_INFINITY}) {
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(roundTrip(Codec.doubles(), d)));
        }
        ByteBuffer bb = ByteBuffer.wrap(new byte[] {9, 8, 7, 6, 5});
        bb.position(1).limit(4);
        ByteBuffer back = roundTrip(Codec.byteBuffer(), bb);
        assertEquals(1, bb.position(), "encoding leaves the buffer's position alone");
        assertEquals(ByteBuffer.wrap(new byte[] {8, 7, 6}), back);
        MemorySegment seg = roundTrip(Codec.segment(), MemorySegment.ofArray(new byte[] {4, 5, 6}));
        assertTrue(seg.heapBase().isPresent(), "decodes to a heap copy");
        assertArrayEquals(new byte[] {4, 5, 6}, seg.toArray(ValueLayout.JAVA_BYTE));
        assertEquals(4, Codec.ints().fixedSize());
        assertEquals(-1, Codec.string().fixedSize());
        // little-endian on the wire
        assertEquals(0x04030201, Codec.ints().decode(bytes(1, 2, 3, 4), 0, 4));
    }

    @Test
    void recordsRoundTrip() {
        assertEquals(new Point(3, -4), roundTrip(Codec.record(Point.class), new Point(3, -4)));
        assertEquals(8, Codec.record(Point.class).fixedSize());
        assertEquals("record:" + Point.class.getName() + "(int,int)", Codec.record(Point.class).name());

        Codec<Everything> codec = Codec.record(Everything.class);
        Everything e = new Everything(true, (byte) -3, (short) 300, 'ж', 42, -7L, 1.5f, Math.E, false, null, 2.5, "tëxt",
                new byte[] {1, 2}, ByteBuffer.wrap(new byte[] {3}), MemorySegment.ofArray(new byte[] {4, 5}), new Inner("in", 9L), null);
        Everything back = roundTrip(codec, e);
        assertEquals(e.b(), back.b());
        assertEquals(e.by(), back.by());
        assertEquals(e.s(), back.s());
        assertEquals(e.c(), back.c());
        assertEquals(e.i(), back.i());
        assertEquals(e.l(), back.l());
        assertEquals(e.f(), back.f());
        assertEquals(e.d(), back.d());
        assertEquals(false, back.bb());
        assertNull(back.boxed());
        assertEquals(2.5, back.nullable());
        assertEquals("tëxt", back.text());
        assertArrayEquals(new byte[] {1, 2}, back.bytes());
        assertEquals(ByteBuffer.wrap(new byte[] {3}), back.buffer());
        assertArrayEquals(new byte[] {4, 5}, back.segment().toArray(ValueLayout.JAVA_BYTE));
        assertEquals(new Inner("in", 9L), back.inner());
        assertNull(back.none());
        assertEquals(-1, codec.fixedSize());

        Everything nulls = new Everything(false, (byte) 0, (short) 0, 'a', 0, 0, 0, 0, null, null, null, null, null, null, null, null, null);
        Everything back2 = roundTrip(codec, nulls);
        assertNull(back2.text());
        assertNull(back2.bytes());
        assertNull(back2.buffer());
        assertNull(back2.segment());
        assertNull(back2.inner());
    }

    @Test
    void unsupportedRecordsAreRefusedAtConstruction() {
        IllegalArgumentException loop = assertThrows(IllegalArgumentException.class, () -> Codec.record(Loop.class));
        assertTrue(loop.getMessage().contains("contains itself"), loop.getMessage());
        IllegalArgumentException list = assertThrows(IllegalArgumentException.class, () -> Codec.record(WithList.class));
        assertTrue(list.getMessage().contains("'WithList.list' has type java.util.List"), list.getMessage());
        @SuppressWarnings({"unchecked", "rawtypes"})
        Class<Record> notARecord = (Class) String.class;
        assertThrows(IllegalArgumentException.class, () -> Codec.record(notARecord));
    }

    @Test
    void fixedSizeCodecsRefuseOtherLengths() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Codec.ints().decode(bytes(1, 2, 3), 0, 3));
        assertTrue(e.getMessage().contains("3 bytes, expected exactly 4"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> Codec.longs().decode(bytes(1, 2, 3, 4, 5, 6, 7, 8, 9), 0, 9));
        assertThrows(IllegalStateException.class, () -> Codec.doubles().decode(bytes(1, 2, 3, 4), 0, 4));
        // a length or offset outside the region is refused before any read
        IllegalStateException out = assertThrows(IllegalStateException.class, () -> Codec.bytes().decode(bytes(1, 2, 3), 1, 5));
        assertTrue(out.getMessage().contains("do not lie within"), out.getMessage());
        assertThrows(IllegalStateException.class, () -> Codec.string().decode(bytes(1, 2, 3), -1, 2));
        assertThrows(IllegalStateException.class, () -> Codec.bytes().decode(bytes(1, 2, 3), 0, -1));
        assertThrows(IllegalStateException.class, () -> Codec.ints().decode(bytes(1, 2, 3), 2, 4));
    }

    @Test
    void corruptRecordsAreRefusedWithAClearMessage() {
        Codec<Inner> codec = Codec.record(Inner.class);
        int n = codec.size(new Inner("abc", 5L));
        byte[] good = new byte[n];
        codec.encode(new Inner("abc", 5L), MemorySegment.ofArray(good), 0);

        byte[] longLength = good.clone();
        MemorySegment.ofArray(longLength).set(Codecs.INT, 0, 1000); // the string claims 1000 bytes
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(longLength), 0, n));
        assertTrue(e.getMessage().contains("component 'Inner.label' needs 1000 bytes but"), e.getMessage());

        byte[] negative = good.clone();
        MemorySegment.ofArray(negative).set(Codecs.INT, 0, -7);
        e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(negative), 0, n));
        assertTrue(e.getMessage().contains("has length -7"), e.getMessage());

        byte[] presence = good.clone();
        presence[4 + 3] = 7; // the Long's presence byte
        e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(presence), 0, n));
        assertTrue(e.getMessage().contains("presence byte of component 'Inner.maybe' holds 7"), e.getMessage());

        e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(good), 0, n - 1));
        assertTrue(e.getMessage().contains("'Inner.maybe' needs 8 bytes but 7 remain"), e.getMessage());

        byte[] longer = java.util.Arrays.copyOf(good, n + 3);
        e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(longer), 0, n + 3));
        assertTrue(e.getMessage().contains("3 bytes left over"), e.getMessage());

        Codec<Everything> all = Codec.record(Everything.class);
        Everything ev = new Everything(true, (byte) 0, (short) 0, 'a', 0, 0, 0, 0, null, null, null, "", null, null, null, null, null);
        byte[] b = new byte[all.size(ev)];
        all.encode(ev, MemorySegment.ofArray(b), 0);
        b[0] = 2; // the boolean
        e = assertThrows(IllegalStateException.class, () -> all.decode(MemorySegment.ofArray(b), 0, b.length));
        assertTrue(e.getMessage().contains("boolean component 'Everything.b' holds 2"), e.getMessage());

        // values the record's own constructor refuses
        Codec<Positive> pos = Codec.record(Positive.class);
        e = assertThrows(IllegalStateException.class, () -> pos.decode(bytes(0xff, 0xff, 0xff, 0xff), 0, 4));
        assertTrue(e.getMessage().contains("constructor refused"), e.getMessage());
    }

    /** Random bytes: each decode returns a value or throws IllegalStateException, nothing else. */
    @Test
    void randomBytesNeverEscapeAsAnythingButIllegalState() {
        Random random = new Random(42);
        List<Codec<?>> codecs = List.of(Codec.record(Everything.class), Codec.record(Inner.class), Codec.record(Point.class),
                Codec.ints(), Codec.string(), Codec.serialized("java.lang.*;!*"));
        int refused = 0;
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] b = new byte[random.nextInt(64)];
            random.nextBytes(b);
            if (trial % 3 == 0 && b.length >= 4) MemorySegment.ofArray(b).set(Codecs.INT, 0, random.nextInt(8)); // plausible lengths
            for (Codec<?> c : codecs) {
                try {
                    c.decode(MemorySegment.ofArray(b), 0, b.length);
                } catch (IllegalStateException expected) {
                    refused++;
                }
            }
        }
        assertTrue(refused > 0);
    }

    @Test
    void serializedAllowsOnlyTheAllowList() {
        Codec<Object> codec = Codec.serialized("java.util.ArrayList;java.lang.String;" + Tagged.class.getName() + ";!*");
        ArrayList<Object> list = new ArrayList<>(List.of("a", "b"));
        assertEquals(list, roundTrip(codec, list));
        assertEquals(new Tagged("t", 3), roundTrip(codec, new Tagged("t", 3)));

        // a class outside the list is refused, by name
        java.util.HashMap<String, String> map = new java.util.HashMap<>();
        map.put("k", "v");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> roundTrip(codec, map));
        assertTrue(e.getMessage().contains("class java.util.HashMap is not in the allow-list"), e.getMessage());
        // UNDECIDED is a refusal: a filter that allows nothing explicitly admits nothing
        Codec<Object> undecided = Codec.serialized(ObjectInputFilter.allowFilter(c -> false, ObjectInputFilter.Status.UNDECIDED));
        assertThrows(IllegalStateException.class, () -> roundTrip(undecided, new Tagged("t", 1)));
        // a nested class outside the list is refused too
        ArrayList<Object> nested = new ArrayList<>(List.of(new java.util.Date(0)));
        e = assertThrows(IllegalStateException.class, () -> roundTrip(codec, nested));
        assertTrue(e.getMessage().contains("java.util.Date"), e.getMessage());
        // corrupt bytes
        e = assertThrows(IllegalStateException.class, () -> codec.decode(bytes(0xac, 0xed, 0, 5, 1, 2, 3), 0, 7));
        assertTrue(e.getMessage().startsWith("corrupt serialized element"), e.getMessage());
        // a stream followed by garbage
        byte[] one = new byte[codec.size("x")];
        codec.encode("x", MemorySegment.ofArray(one), 0);
        byte[] trailing = java.util.Arrays.copyOf(one, one.length + 2);
        e = assertThrows(IllegalStateException.class, () -> codec.decode(MemorySegment.ofArray(trailing), 0, trailing.length));
        assertTrue(e.getMessage().contains("2 bytes after the object"), e.getMessage());
        // what cannot be serialized is refused on the way in
        assertThrows(IllegalArgumentException.class, () -> codec.size(new Object()));
    }
}
