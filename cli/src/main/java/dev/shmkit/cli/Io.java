package dev.shmkit.cli;

import java.io.InputStream;
import java.io.OutputStream;

/** The binary stdin/stdout of the data commands; replaceable so tests can run commands in-process. */
final class Io {
    private Io() {}

    static volatile InputStream in = System.in;
    static volatile OutputStream out = System.out;
}
