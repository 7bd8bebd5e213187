package dev.dcnv4.tornado.drivers.cuda;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;

/**
 * Persisted launch choices: one JSON object mapping a tuning key ({@link LaunchTuner#key}) to the
 * chosen configuration and how it was found. Read once, rewritten (to a temporary file, then moved)
 * on every new entry; entries written by other processes in between are kept (re-read before writing).
 *
 * <pre>
 * { "NVIDIA H100 80GB HBM3|N64 H56 W56 G4 D32 k3x3 s1x1 p1x1 d1x1|fp16|forward" :
 *     { "dStride" : 8, "positionsPerBlock" : 8, "deterministic" : false, "millis" : 0.061,
 *       "candidatesTried" : 36, "candidatesRejected" : 0, "tunedAt" : "2026-11-27T22:00:00Z" } }
 * </pre>
 */
public final class TuningStore {
    /** One persisted choice. */
    public record Entry(int dStride, int positionsPerBlock, boolean deterministic, double millis,
                        int candidatesTried, int candidatesRejected, String tunedAt) {
        public LaunchConfig config() {
            return new LaunchConfig(dStride, positionsPerBlock, deterministic);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
    private static final TypeReference<TreeMap<String, Entry>> TYPE = new TypeReference<>() {
    };

    private final Path file;
    private Map<String, Entry> entries;

    public TuningStore(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public synchronized Entry get(String key) {
        if (entries == null) {
            entries = read();
        }
        return entries.get(key);
    }

    public synchronized void put(String key, Entry entry) {
        Map<String, Entry> merged = read();
        merged.put(key, entry);
        entries = merged;
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "launch-tuning", ".tmp");
            JSON.writeValue(tmp.toFile(), merged);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write launch tuning file " + file, e);
        }
    }

    /** Every stored entry (a copy). */
    public synchronized Map<String, Entry> all() {
        return new TreeMap<>(read());
    }

    private Map<String, Entry> read() {
        if (!Files.isRegularFile(file)) {
            return new TreeMap<>();
        }
        try {
            return JSON.readValue(file.toFile(), TYPE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read launch tuning file " + file + " (delete it to retune)", e);
        }
    }
}
