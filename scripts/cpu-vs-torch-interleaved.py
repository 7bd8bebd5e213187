#!/usr/bin/env python3
"""PyTorch (shared/tools/torch_ref.py's grid_sample formulation, in this process) against device
"java" (dev.dcnv4.bench.ab.CpuServe, kept warm in a child JVM), in alternating bursts of BURST
seconds: PyTorch forward, java forward, PyTorch forward+backward, java backward, then the next round
in the opposite order. Both sides are thus sampled in the same periods of the host's drift, which
runs over seconds (docs/cpu-performance.md), instead of one after the other over half a minute.
The two never run at the same time. Prints a Markdown row per round (medians of its bursts) and
one with the medians over all rounds' calls.

  scripts/cpu-vs-torch-interleaved.py [--rounds 10] [--burst 1.0] [--warmup 5] [N H W C G THREADS]

Java's forward+backward is its forward median plus its backward median, as in `dcnv4 bench`.
Needs torch (Debian: python3-torch); JAVA (a JDK >= 25 java), DCNV4_JVM_OPTIONS and DCNV4_JAR come from
scripts/cpu-vs-torch-interleaved.sh."""
import argparse, importlib.util, os, shlex, statistics, subprocess, sys, time


def load_torch_ref(path):
    spec = importlib.util.spec_from_file_location("torch_ref", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def burst(fn, seconds):
    """fn() for `seconds` (at least 5 calls): the times in ms."""
    ts, stop = [], time.perf_counter() + seconds
    while len(ts) < 5 or time.perf_counter() < stop:
        t = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t) * 1e3)
    return ts


class Java:
    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def burst(self, what, seconds):
        self.p.stdin.write(f"{what} {seconds}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line or line.startswith("error"):
            sys.exit(f"cpu-serve failed: {line.strip() or 'no answer (see its stderr above)'}")
        return [float(v) for v in line.split()]

    def close(self):
        self.p.stdin.write("quit\n")
        self.p.stdin.flush()
        self.p.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shape", nargs="*", type=int, default=[1, 56, 56, 128, 4, 2], help="N H W C G THREADS")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--burst", type=float, default=1.0, help="seconds per burst")
    ap.add_argument("--warmup", type=float, default=5.0, help="seconds of untimed warm-up per side and direction")
    ap.add_argument("--torch-ref", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools", "torch_ref.py"))
    a = ap.parse_args()
    if len(a.shape) != 6:
        sys.exit(f"shape: expected N H W C G THREADS but got {a.shape}")
    n, h, w, c, g, threads = a.shape
    if not os.path.exists(a.torch_ref):
        sys.exit(f"torch_ref.py not found at {a.torch_ref} (--torch-ref PATH)")
    ref = load_torch_ref(a.torch_ref)
    torch = ref.torch
    torch.set_num_threads(threads)
    # the same problem as torch_ref.py's `time` command
    d, p = c // g, -(-g * 9 * 3 // 8) * 8
    x, om = torch.rand(n, h, w, c), torch.randn(n, h, w, p)
    xr, omr = x.clone().requires_grad_(True), om.clone().requires_grad_(True)
    fwd = lambda: ref.dcnv4(x, om, g, d, 3, 1, 1, 1, 1.0, 0, 0)
    def fwdbwd():
        ref.dcnv4(xr, omr, g, d, 3, 1, 1, 1, 1.0, 0, 0).sum().backward()
    if "DCNV4_JAR" not in os.environ:
        sys.exit("DCNV4_JAR is not set: run scripts/cpu-vs-torch-interleaved.sh, which sets it")
    java_cmd = [os.environ.get("JAVA", "java"), *shlex.split(os.environ.get("DCNV4_JVM_OPTIONS", "")),
                "-cp", os.environ["DCNV4_JAR"], "dev.dcnv4.bench.ab.CpuServe",
                "--shape", f"{n},{h},{w},{c}", "--groups", str(g), "--threads", str(threads)]
    java = Java(java_cmd)
    try:
        print(f"warming up {a.warmup:.0f} s per side and direction ...", file=sys.stderr)
        burst(fwd, a.warmup); burst(fwdbwd, a.warmup)
        java.burst("forward", a.warmup); java.burst("backward", a.warmup)
        steps = [("tf", lambda: burst(fwd, a.burst)), ("jf", lambda: java.burst("forward", a.burst)),
                 ("tb", lambda: burst(fwdbwd, a.burst)), ("jb", lambda: java.burst("backward", a.burst))]
        pooled = {k: [] for k, _ in steps}
        print("| round | torch fwd ms | torch fwd+bwd ms | java fwd ms | java bwd ms | fwd speed-up | fwd+bwd speed-up |")
        print("|---|---|---|---|---|---|---|")
        for r in range(1, a.rounds + 1):
            got = {}
            for k, run in (steps if r % 2 == 1 else steps[::-1]):
                got[k] = run()
                pooled[k] += got[k]
            row(str(r), {k: statistics.median(v) for k, v in got.items()})
        row("all", {k: statistics.median(v) for k, v in pooled.items()})
    finally:
        java.close()


def row(label, m):
    print(f"| {label} | {m['tf']:.2f} | {m['tb']:.2f} | {m['jf']:.3f} | {m['jb']:.3f} | "
          f"{m['tf'] / m['jf']:.1f}x | {m['tb'] / (m['jf'] + m['jb']):.1f}x |", flush=True)


if __name__ == "__main__":
    main()
