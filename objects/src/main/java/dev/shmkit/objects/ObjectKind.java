package dev.shmkit.objects;

/** What a shared object region holds, as recorded in its header. */
public enum ObjectKind {
    /** A {@link SharedValue}. */
    VALUE(1),
    /** A {@link SharedArray}. */
    ARRAY(2),
    /** A {@link SharedMap}. */
    MAP(3),
    /** A {@link SharedList}. */
    LIST(4);

    final short code;

    ObjectKind(int code) {
        this.code = (short) code;
    }

    /** The lower-case name {@code shmkit shm ls} prints. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** "a value", "an array", ... for messages. */
    String withArticle() {
        return (this == ARRAY ? "an " : "a ") + label();
    }

    static ObjectKind of(short code) {
        for (ObjectKind k : values()) if (k.code == code) return k;
        return null;
    }
}
