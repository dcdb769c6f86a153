/** The {@code shmkit} command-line tool (bin/shmkit). */
module dev.shmkit.cli {
    requires dev.shmkit.shm;
    requires dev.shmkit.semaphores;
    requires dev.shmkit.signals;
    requires dev.shmkit.rings;
    requires dev.shmkit.objects;
    requires dev.shmkit.processes;
    requires info.picocli;
    opens dev.shmkit.cli to info.picocli;
    exports dev.shmkit.cli;
}
