#!/usr/bin/env bash
# The main job: golden checks and benchmarks on every device found, then the roofline / MAC report.
#
#   scripts/run.sh            quick on a CPU-only machine (minutes); full suite on GPU devices
#   scripts/run.sh --quick    quick everywhere
#   scripts/run.sh --full     the complete suite everywhere (hours on a CPU)
#   scripts/run.sh --results FILE   skip checks and benchmarks; report on an existing bench JSON
#
# Leaves out/results.json (all benchmark results), out/report.html, out/report.md (+ roofline.svg,
# analysis.json, per-device bench-*.json and check-*.txt logs). Environment: DCNV4_GOLDENS (golden
# folder, default ../shared/goldens), DCNV4_DEVICES (space-separated device ids to use instead of
# the discovered ones), DCNV4_BENCH_ARGS (extra arguments for every bench run).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib-java.sh

mode=auto
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --results) results="${2:?--results needs a file}"; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

out="$root/out"
mkdir -p "$out"
dcnv4() { scripts/dcnv4 "$@"; }

# The roofline preset of the report: the GPU on this machine if it is one we know, else this CPU
# (measured on the spot by the analyzer). Results of other devices get their own roofs.
preset=cpu
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1 || true)
  case "$gpu" in
    *H100*) preset=h100 ;;
    *H200*) preset=h200 ;;
    *A100*) preset=a100 ;;
  esac
fi

status=0
if [ -z "$results" ]; then
  goldens="${DCNV4_GOLDENS:-$root/../shared/goldens}"
  if [ -n "${DCNV4_DEVICES:-}" ]; then
    devices="$DCNV4_DEVICES"
  else
    devices=$(dcnv4 devices --ids 2>/dev/null || echo "reference java")
  fi
  gpus=" $(dcnv4 devices --ids --gpus 2>/dev/null | tr '\n' ' ') "
  echo "devices: $devices"
  for d in $devices; do
    echo "== golden check on $d"
    dcnv4 check --goldens "$goldens" --device "$d" --dtype all | tee "$out/check-$d.txt" || status=1
  done

  bench_files=()
  for d in $devices; do
    # the fp64 reference is the oracle, not a candidate: it is checked above, not timed
    [ "$d" = reference ] && continue
    case "$mode:$d" in
      full:*) quick=() ;;
      quick:*) quick=(--quick) ;;
      *)  # auto: the full suite on GPUs, the quick one on CPU devices (java, PoCL)
        if [[ "$gpus" == *" $d "* ]]; then quick=(); else quick=(--quick); fi ;;
    esac
    f="$out/bench-${d//[:\/]/_}.json"
    echo "== benchmark on $d (suite all${quick:+, quick})"
    rm -f "$f"
    # every timed case is verified against the fp64 reference; a wrong one is a FAIL line, gets no
    # timing in the JSON and makes the bench exit 1 after the other cases, whose results still count
    if dcnv4 bench --suite all "${quick[@]}" --device "$d" --json "$f" ${DCNV4_BENCH_ARGS:-}; then
      bench_files+=(--bench-json "$f")
    elif [ -s "$f" ]; then
      echo "run.sh: benchmark on $d had FAILED cases (see the FAIL lines above); the report has only its" \
        "verified results" >&2
      bench_files+=(--bench-json "$f")
      status=1
    else
      echo "run.sh: benchmark on $d FAILED (see above); its results are not in the report" >&2
      status=1
    fi
  done
  if [ ${#bench_files[@]} -eq 0 ]; then
    echo "run.sh: no benchmark produced results; no report" >&2
    exit 1
  fi
  merge=(--save-results "$out/results.json")
else
  [ -f "$results" ] || { echo "run.sh: --results $results: no such file" >&2; exit 2; }
  if [ "$(cd "$(dirname "$results")" && pwd)/$(basename "$results")" != "$out/results.json" ]; then
    cp "$results" "$out/results.json"
  fi
  bench_files=(--bench-json "$out/results.json")
  merge=()
fi

echo "== report (roofline preset: $preset)"
# headline shape: on a GPU the paper's ablation shape (N=64, 56x56x128, G=4, fp16), the worked
# example of docs/dcnv4-semantics.md 7.2; on a CPU its batch-1 fp32 version, which the quick suite
# times. Every measured shape gets its own section after it.
if [ "$preset" = cpu ]; then headline=(--shape 1,56,56,128 --groups 4 --dtype fp32)
else headline=(--shape 64,56,56,128 --groups 4 --dtype fp16); fi
dcnv4 analyze "${headline[@]}" --device-preset "$preset" \
  "${bench_files[@]}" "${merge[@]}" --json "$out/analysis.json" --out "$out" >/dev/null

echo
echo "results: $out/results.json"
echo "report:  $out/report.html"
echo "         $out/report.md"
exit $status
