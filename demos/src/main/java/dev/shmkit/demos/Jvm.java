package dev.shmkit.demos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts another JVM running a demo class, on this JVM's module path or class path. */
final class Jvm {
    private Jvm() {}

    static ProcessBuilder demo(Class<?> mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        String modulePath = System.getProperty("jdk.module.path");
        if (modulePath != null && mainClass.getModule().isNamed()) {
            cmd.add("--enable-native-access=dev.shmkit.bindings");
            cmd.add("-p");
            cmd.add(modulePath);
            cmd.add("--add-modules");
            cmd.add("ALL-MODULE-PATH");
            cmd.add("-m");
            cmd.add(mainClass.getModule().getName() + "/" + mainClass.getName());
        } else {
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(mainClass.getName());
        }
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
