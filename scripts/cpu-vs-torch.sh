#!/usr/bin/env bash
# Side-by-side CPU timing: the PyTorch grid_sample formulation (shared/tools/torch_ref.py) against
# device "java", same shape and thread count, run one after the other (never concurrently), ROUNDS
# times. Prints one Markdown table row per round. Needs python3 with torch (Debian: python3-torch).
#   scripts/cpu-vs-torch.sh [N H W C G THREADS ROUNDS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib-java.sh"
n=${1:-1} h=${2:-56} w=${3:-56} c=${4:-128} g=${5:-4} t=${6:-2} rounds=${7:-3}
torch_ref="${TORCH_REF:-$root/../shared/tools/torch_ref.py}"
py="${PYTHON:-/usr/bin/python3}"
jar="$root/dcnv4-bench/target/dcnv4.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package -pl dcnv4-bench -am)
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
echo "| round | load | torch fwd ms | torch fwd+bwd ms | java fp32 fwd ms | java fp32 bwd ms | java fp16 fwd ms | java fp16 bwd ms | fwd speed-up | fwd+bwd speed-up |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  read -r _ tf _ tfb < <("$py" "$torch_ref" time "$n" "$h" "$w" "$c" "$g" "$t")
  for dt in fp32 fp16; do
    java "${DCNV4_JVM_FLAGS[@]}" -jar "$jar" bench --shape "$n,$h,$w,$c" --groups "$g" --device java \
      --threads "$t" --backward --dtype "$dt" --json "$tmp/$dt.json" > /dev/null 2>&1
  done
  "$py" - "$r" "$load" "$tf" "$tfb" "$tmp" <<'PY'
import json, sys
r, load, tf, tfb, tmp = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
m = {}
for dt in ("fp32", "fp16"):
    for x in json.load(open(f"{tmp}/{dt}.json"))["results"]:
        m[(dt, x["direction"])] = x["median_ms"]
f32, b32 = m[("fp32", "forward")], m[("fp32", "backward")]
print(f"| {r} | {load} | {tf:.2f} | {tfb:.2f} | {f32:.3f} | {b32:.3f} | {m[('fp16','forward')]:.3f} | "
      f"{m[('fp16','backward')]:.3f} | {tf / f32:.1f}x | {tfb / (f32 + b32):.1f}x |")
PY
done
