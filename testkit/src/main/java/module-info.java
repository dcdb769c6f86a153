/** The multi-process test harness every shmkit module's tests use. */
module dev.shmkit.testkit {
    requires transitive org.junit.jupiter.api;
    exports dev.shmkit.testkit;
    provides org.junit.jupiter.api.extension.Extension with dev.shmkit.testkit.LeakCheck;
}
