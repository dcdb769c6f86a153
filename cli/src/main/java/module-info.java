/** The {@code shmkit} command-line tool (bin/shmkit). */
module dev.shmkit.cli {
    requires dev.shmkit.shm;
    requires dev.shmkit.semaphores;
    requires dev.shmkit.signals;
    requires transitive dev.shmkit.rings; // RingBench (public: CrossProcessRing extends it) has rings in its signatures
    requires dev.shmkit.objects;
    requires dev.shmkit.processes;
    requires info.picocli;
    opens dev.shmkit.cli to info.picocli;
    exports dev.shmkit.cli;
}
