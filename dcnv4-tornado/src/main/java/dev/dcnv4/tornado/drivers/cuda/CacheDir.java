package dev.dcnv4.tornado.drivers.cuda;

import java.nio.file.Path;

/**
 * The on-disk cache root: {@code -Ddcnv4.cache.dir=DIR} when set, else {@code ~/.cache/dcnv4}.
 * Compiled PTX lives under {@code cuda/ptx/}, tuned launch choices in {@code cuda/launch-tuning.json}.
 */
final class CacheDir {
    static final String PROPERTY = "dcnv4.cache.dir";

    private CacheDir() {
    }

    static Path root() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return Path.of(p);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "dcnv4");
    }
}
