package dev.shmkit.ring;

/** Who may use a ring at once. */
public enum RingKind {
    /** One producing thread and one consuming thread (in any processes): no atomic read-modify-write on the data path. */
    SPSC(1),
    /** Any number of producers, one consumer: producers claim space under a tiny robust lock. */
    MPSC(2),
    /** Any number of producers and consumers: consumers also take records under a robust lock. */
    MPMC(3);

    final short code;

    RingKind(int code) {
        this.code = (short) code;
    }

    static RingKind of(short code) {
        for (RingKind k : values()) if (k.code == code) return k;
        return null;
    }

    boolean multiProducer() {
        return this != SPSC;
    }

    boolean multiConsumer() {
        return this == MPMC;
    }
}
