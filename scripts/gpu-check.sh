#!/usr/bin/env bash
# The GPU checks, run on a machine with an NVIDIA GPU and driver but no Java (docs/gpu.md):
#   1. environment: GPU, driver, where libcuda / NVRTC / NVIDIA OpenCL are, `dcnv4 devices`
#   2. golden check on cuda:0 (fp32, fp16, bf16; forward + backward; 3 runs in a row) with the default
#      launch configurations, then with the deterministic backward
#   3. host-side cost per call at batch 1 (CUDA graph replay vs direct launches, plan replay)
#   4. golden check on cuda:0 with tuned launch configurations
#   5. golden check on NVIDIA's OpenCL (an ICD file written to a temp folder, OCL_ICD_VENDORS)
#   6. the paper-shape benchmark on cuda:0 (text + JSON)
# in that order of importance, within DCNV4_GPU_CHECK_BUDGET seconds (default 560: one device command).
# Uses the bundle made by scripts/gpu-bundle.sh (this script's folder when copied into it, else
# ./gpu-bundle). Every output goes to $OUT if set, else ./gpu-out: at most 8 files (the device
# tool's limit), summary.txt last. Keeps going after a failed step; exits 1 if any step failed.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -x "$here/bin/dcnv4" ]; then
  bundle="$here"
elif [ -x "$here/../gpu-bundle/bin/dcnv4" ]; then
  bundle="$(cd "$here/../gpu-bundle" && pwd)"
elif [ -x "$PWD/gpu-bundle/bin/dcnv4" ]; then
  bundle="$PWD/gpu-bundle"
else
  echo "gpu-check: no bundle found (run scripts/gpu-bundle.sh on a machine with Java, carry gpu-bundle/)" >&2
  exit 2
fi
out="${OUT:-$PWD/gpu-out}"
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
dcnv4="$bundle/bin/dcnv4"
goldens="${DCNV4_GOLDENS:-$bundle/goldens}"
summary="$out/summary.txt"
: > "$summary"
status=0

# NVRTC: an explicit -Ddcnv4.nvrtc beats the library's own search when the toolkit sits in a
# versioned folder (/usr/local/cuda-13.0) with no /usr/local/cuda link; never the stubs/ copy.
nvrtc=""
for f in ${CUDA_HOME:+$CUDA_HOME/lib64/libnvrtc.so.13} /usr/local/cuda/lib64/libnvrtc.so.13 \
         /usr/local/cuda/targets/x86_64-linux/lib/libnvrtc.so.13 /usr/local/cuda-*/targets/x86_64-linux/lib/libnvrtc.so.13 \
         /usr/local/cuda-*/lib64/libnvrtc.so.13 /usr/local/cuda*/targets/x86_64-linux/lib/libnvrtc.so.12; do
  case "$f" in */stubs/*) continue ;; esac
  if [ -f "$f" ]; then nvrtc="$f"; break; fi
done
# tuning results and compiled PTX of this run stay in a temp folder; the tuning file is copied out
export DCNV4_JAVA_OPTS="${DCNV4_JAVA_OPTS:-} -Ddcnv4.cache.dir=$tmp/cache ${nvrtc:+-Ddcnv4.nvrtc=$nvrtc}"

# NVIDIA's OpenCL has no ICD file on the box: write one and point the loader at it
ocl_lib=""
for f in /usr/lib/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1; do
  if [ -f "$f" ]; then ocl_lib="$f"; break; fi
done

# the whole run must fit one device command (10 minutes): steps get what is left of the budget,
# most important first; a step that cannot start in time is recorded as skipped
budget="${DCNV4_GPU_CHECK_BUDGET:-560}"
deadline=$(( $(date +%s) + budget ))

# step NAME FILE TIMEOUT_S COMMAND...: appends the command's output to FILE, records the status
step() {
  local name="$1" file="$2" limit="$3"
  shift 3
  local t0 rc left
  left=$(( deadline - $(date +%s) - 5 ))
  if [ "$left" -lt 20 ]; then
    echo "===== $name: skipped, time budget of ${budget} s used up" >> "$file"
    printf '%-34s skipped (time budget)\n' "$name" >> "$summary"
    status=1
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit="$left"
  t0=$(date +%s)
  { echo "===== $name"; echo "\$ $*"; } >> "$file"
  timeout "$limit" "$@" >> "$file" 2>&1
  rc=$?
  echo "----- exit $rc after $(( $(date +%s) - t0 )) s" >> "$file"
  printf '%-34s exit %3d  %4d s  %s\n' "$name" "$rc" "$(( $(date +%s) - t0 ))" "$(basename "$file")" >> "$summary"
  [ "$rc" = 0 ] || status=1
  return 0
}

env_file="$out/env.txt"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(uname -a)"
  echo "bundle: $(cat "$bundle/VERSION" 2>/dev/null)"
  echo "nvrtc: ${nvrtc:-not found in the usual folders (the library searches the loader path)}"
  echo "nvidia opencl: ${ocl_lib:-not found}"
  echo "JVM options: $DCNV4_JAVA_OPTS"
  command -v nvidia-smi >/dev/null && nvidia-smi
  echo "--- loader cache"
  ldconfig -p 2>/dev/null | grep -E 'libcuda\.so|libnvrtc|libOpenCL|nvidia-opencl' || true
  ls -l /usr/local/ 2>/dev/null | grep -i cuda || true
} > "$env_file" 2>&1
step "devices" "$env_file" 120 "$dcnv4" devices

check_file="$out/check-cuda.txt"
have_goldens=0
[ -f "$goldens/cases.json" ] && have_goldens=1
if [ "$have_goldens" = 1 ]; then
  DCNV4_JAVA_OPTS="$DCNV4_JAVA_OPTS -Ddcnv4.tune=false" \
    step "golden cuda:0 (default launch)" "$check_file" 240 "$dcnv4" check --goldens "$goldens" --device cuda:0 --dtype all --repeat 3
  DCNV4_JAVA_OPTS="$DCNV4_JAVA_OPTS -Ddcnv4.tune=false -Ddcnv4.cuda.deterministic=true" \
    step "golden cuda:0 (deterministic)" "$check_file" 240 "$dcnv4" check --goldens "$goldens" --device cuda:0 --dtype all --repeat 3
else
  echo "no golden folder at $goldens: golden checks skipped" | tee "$check_file" >> "$summary"
  status=1
fi

step "launch cost (batch 1)" "$out/launch-cost.txt" 150 \
  "$bundle/bin/dcnv4-class" dev.dcnv4.tornado.drivers.cuda.LaunchCost 5000

if [ "$have_goldens" = 1 ]; then
  step "golden cuda:0 (tuned launch)" "$check_file" 300 "$dcnv4" check --goldens "$goldens" --device cuda:0 --dtype all --repeat 3
  if [ -n "$ocl_lib" ]; then
    mkdir -p "$tmp/icd"
    echo "$ocl_lib" > "$tmp/icd/nvidia.icd"
    OCL_ICD_VENDORS="$tmp/icd" step "devices (nvidia opencl only)" "$out/check-opencl.txt" 60 "$dcnv4" devices
    OCL_ICD_VENDORS="$tmp/icd" step "golden opencl:0 (nvidia)" "$out/check-opencl.txt" 240 \
      "$dcnv4" check --goldens "$goldens" --device opencl:0 --dtype all --repeat 3
  else
    echo "no libnvidia-opencl.so.1 found: NVIDIA OpenCL check skipped" > "$out/check-opencl.txt"
    echo "golden opencl:0 (nvidia)           skipped: no libnvidia-opencl.so.1" >> "$summary"
  fi
fi

step "bench paper shapes cuda:0" "$out/bench-cuda.txt" 540 \
  "$dcnv4" bench --device cuda:0 --suite "${DCNV4_BENCH_SUITE:-all}" --json "$out/bench-cuda.json" \
  ${DCNV4_BENCH_ARGS:---warmup-seconds 0.2 --seconds 0.5}

if [ -f "$tmp/cache/cuda/launch-tuning.json" ]; then
  cp "$tmp/cache/cuda/launch-tuning.json" "$out/launch-tuning.json"
fi
echo "overall: $([ "$status" = 0 ] && echo PASS || echo FAIL)" >> "$summary"
cat "$summary"
exit "$status"
