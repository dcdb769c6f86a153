/** Runnable demos of shmkit for courses and first-time users (see demos/README.md). */
module dev.shmkit.demos {
    requires dev.shmkit.shm;
    requires dev.shmkit.semaphores;
    requires dev.shmkit.signals;
    requires dev.shmkit.rings;
    requires dev.shmkit.objects;
    requires dev.shmkit.processes;
    requires java.desktop; // the speed-up chart (BufferedImage, ImageIO), drawn headless
    exports dev.shmkit.demos;
}
