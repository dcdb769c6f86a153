package dev.shmkit.process;

import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The lazily produced results of {@link ProcessPool#imap} or {@link ProcessPool#imapUnordered}.
 * {@link #next()} waits for the next result; a task that failed throws a
 * {@link TaskFailedException} at its place, and iteration may go on past it. The pool runs at
 * most a bounded number of tasks ahead of the consumer. {@link #close()} cancels whatever has not
 * run yet.
 *
 * @param <R> the result type
 */
public interface ResultIterator<R> extends Iterator<R>, AutoCloseable {
    /** The remaining results as a sequential stream; closing the stream closes this iterator. */
    default Stream<R> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    /** Cancels the tasks that have not run yet; results already produced are dropped. */
    @Override
    void close();
}
