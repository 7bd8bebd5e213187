package dev.dcnv4.io;

import dev.dcnv4.arrays.NativeArray;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy .npy files (format versions 1, 2 and 3): float64, float32 and float16, little endian,
 * C order. This is the golden format and the simplest way to hand tensors over from PyTorch
 * ({@code np.save(path, t.numpy())}).
 *
 * <pre>
 *   "\x93NUMPY" major minor  header_len (u16 LE for v1, u32 LE for v2/v3)
 *   header: a Python dict literal {'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }
 *           space-padded and newline-terminated so the data starts at a multiple of 64 bytes
 *   data:   prod(shape) elements, row-major
 * </pre>
 *
 * Problems are reported as {@link IOException}s naming the file and what is wrong.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** Reads a whole .npy file. */
    public static NpyArray read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": file not found");
        }
        return parse(file.toString(), Files.readAllBytes(file));
    }

    /** Parses .npy bytes; {@code name} is used in error messages. */
    public static NpyArray parse(String name, byte[] bytes) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 10) {
            throw new IOException(name + ": truncated .npy file (" + bytes.length + " bytes, no complete header)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new IOException(name + ": not a .npy file (bad magic bytes)");
            }
        }
        int major = bytes[6] & 0xff;
        int headerLen;
        int headerStart;
        if (major == 1) {
            headerLen = buf.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IOException(name + ": truncated .npy file (" + bytes.length + " bytes, no complete header)");
            }
            long len = buf.getInt(8) & 0xffffffffL;
            if (len > bytes.length) {
                throw new IOException(name + ": truncated .npy file (header of " + len + " bytes, file of "
                        + bytes.length + ")");
            }
            headerLen = (int) len;
            headerStart = 12;
        } else {
            throw new IOException(name + ": unsupported .npy format version " + major + "." + (bytes[7] & 0xff));
        }
        if (headerStart + headerLen > bytes.length) {
            throw new IOException(name + ": truncated .npy file (header of " + headerLen + " bytes, file of "
                    + bytes.length + ")");
        }
        String header = new String(bytes, headerStart, headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        NpyArray.NpyType type = parseType(name, header);
        int[] shape = parseShape(name, header);
        Matcher fo = FORTRAN.matcher(header);
        if (fo.find() && fo.group(1).equals("True")) {
            throw new IOException(name + ": unsupported .npy layout: fortran_order is True (expected C order; "
                    + "save with np.ascontiguousarray)");
        }
        long count = 1;
        for (int s : shape) {
            count *= s;
        }
        if (count > Integer.MAX_VALUE) {
            throw new IOException(name + ": too many elements (" + count + ")");
        }
        int dataStart = headerStart + headerLen;
        long needed = count * type.bytes();
        long have = bytes.length - dataStart;
        if (have < needed) {
            throw new IOException(name + ": truncated .npy file: shape " + NpyArray.shapeString(shape) + " of "
                    + type.descr() + " needs " + needed + " data bytes but the file has " + have);
        }
        double[] data = new double[(int) count];
        for (int i = 0; i < data.length; i++) {
            int at = dataStart + i * type.bytes();
            data[i] = switch (type) {
                case FLOAT64 -> buf.getDouble(at);
                case FLOAT32 -> buf.getFloat(at);
                case FLOAT16 -> Float.float16ToFloat(buf.getShort(at));
            };
        }
        return new NpyArray(shape, type, data);
    }

    private static NpyArray.NpyType parseType(String name, String header) throws IOException {
        Matcher m = DESCR.matcher(header);
        if (!m.find()) {
            throw new IOException(name + ": malformed .npy header (no 'descr'): " + header.strip());
        }
        String d = m.group(1);
        for (NpyArray.NpyType t : NpyArray.NpyType.values()) {
            if (t.descr().equals(d)) {
                return t;
            }
        }
        throw new IOException(name + ": unsupported .npy dtype '" + d
                + "' (expected little-endian float64 '<f8', float32 '<f4' or float16 '<f2')");
    }

    private static int[] parseShape(String name, String header) throws IOException {
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) {
            throw new IOException(name + ": malformed .npy header (no 'shape'): " + header.strip());
        }
        List<Integer> dims = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            try {
                int v = Integer.parseInt(p.endsWith("L") ? p.substring(0, p.length() - 1) : p);
                if (v < 0) {
                    throw new NumberFormatException();
                }
                dims.add(v);
            } catch (NumberFormatException e) {
                throw new IOException(name + ": malformed .npy shape '(" + m.group(1) + ")'");
            }
        }
        return dims.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Writes {@code data} with {@code shape} as {@code type} (values rounded to nearest-even). */
    public static void write(Path file, int[] shape, NpyArray.NpyType type, double[] data) throws IOException {
        Files.write(file, encode(new NpyArray(shape, type, data)));
    }

    /** Writes an off-heap array with the given shape, as the .npy type that holds its dtype exactly. */
    public static void write(Path file, int[] shape, NativeArray array) throws IOException {
        write(file, shape, NpyArray.NpyType.of(array.dtype()), array.toDoubleArray());
    }

    /** Encodes as a version-1.0 .npy file. */
    public static byte[] encode(NpyArray a) {
        String dict = "{'descr': '" + a.type().descr() + "', 'fortran_order': False, 'shape': "
                + NpyArray.shapeString(a.shape()) + ", }";
        int unpadded = 10 + dict.length() + 1;
        int headerLen = dict.length() + 1 + (64 - unpadded % 64) % 64;
        StringBuilder h = new StringBuilder(dict);
        while (h.length() < headerLen - 1) {
            h.append(' ');
        }
        h.append('\n');
        int es = a.type().bytes();
        ByteBuffer buf = ByteBuffer.allocate(10 + headerLen + a.size() * es).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) headerLen);
        buf.put(h.toString().getBytes(StandardCharsets.ISO_8859_1));
        for (double v : a.data()) {
            switch (a.type()) {
                case FLOAT64 -> buf.putDouble(v);
                case FLOAT32 -> buf.putFloat((float) v);
                case FLOAT16 -> buf.putShort(Float.floatToFloat16((float) v));
            }
        }
        return buf.array();
    }
}
