#!/usr/bin/env bash
# Offline check of the CUDA kernels (no GPU needed): assembles every kernel variant listed by
# dev.dcnv4.tornado.drivers.cuda.CudaKernelVariants exactly as the runtime hands it to NVRTC
# (prelude_cuda.h + bodies, defines as #define lines), compiles it to PTX for sm_90 with
# `nvcc --ptx` and assembles the PTX with `ptxas -v`, then prints registers, stack and spills per
# kernel entry. Fails on a compile error or on any spill in a forward kernel.
# Without nvcc it prints "skipped" and exits 0. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v nvcc >/dev/null 2>&1 || ! command -v ptxas >/dev/null 2>&1; then
  echo "check-kernels: skipped: nvcc not found (no CUDA toolkit on this machine)"
  exit 0
fi
source scripts/lib-java.sh
arch=${DCNV4_CHECK_ARCH:-sm_90}

# the two modules' classes are all the variant printer needs
classes="$root/dcnv4-core/target/classes:$root/dcnv4-tornado/target/classes"
marker="$root/dcnv4-tornado/target/classes/dev/dcnv4/tornado/drivers/cuda/CudaKernelVariants.class"
if [ ! -f "$marker" ] || [ -n "$(find "$root"/dcnv4-core/src/main "$root"/dcnv4-tornado/src/main -newer "$marker" -type f -print -quit)" ]; then
  echo "check-kernels: compiling dcnv4-core and dcnv4-tornado ..."
  mvn -B -q -ntp -o -DskipTests compile -pl dcnv4-tornado -am >/dev/null 2>&1 \
    || mvn -B -q -ntp -DskipTests compile -pl dcnv4-tornado -am
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
java -cp "$classes" dev.dcnv4.tornado.drivers.cuda.CudaKernelVariants "$work"
count=$(wc -l < "$work/variants.txt")
echo "check-kernels: $count CUDA kernel variants, nvcc --ptx -arch=$arch, ptxas -arch=$arch -v ($(nvcc --version | tail -n1))"

# nvcc: four files per call (start-up dominates), two calls at a time; -fmad=false as NVRTC gets
cd "$work"
ls ./*.cu | xargs -P 2 -n 4 nvcc --ptx -arch="$arch" -fmad=false >"$work/nvcc.log" 2>&1 || true
failed=0
for cu in ./*.cu; do
  if [ ! -s "${cu%.cu}.ptx" ]; then
    echo "check-kernels: FAIL: nvcc could not compile ${cu#./}:"
    nvcc --ptx -arch="$arch" -fmad=false "$cu" -o /dev/null 2>&1 | head -n 20 | sed 's/^/    /'
    failed=1
  fi
done
if [ "$failed" != 0 ]; then
  exit 1
fi
ls ./*.ptx | xargs -P 2 -I{} sh -c 'ptxas -arch='"$arch"' -v "{}" -o /dev/null > "{}.log" 2>&1 || echo "ptxas failed" >> "{}.log"'

# one row per (variant, entry of interest): registers, stack frame, spill stores/loads
printf '%-36s %-22s %5s %6s %7s %7s\n' variant kernel regs stack spill-st spill-ld
bad=0
while read -r name direction entries; do
  log="./$name.ptx.log"
  if grep -q "ptxas failed\|error" "$log"; then
    echo "check-kernels: FAIL: ptxas on $name:"
    sed 's/^/    /' "$log" | head -n 20
    bad=1
    continue
  fi
  for entry in $entries; do
    row=$(awk -v e="$entry" '
      /Compiling entry function/ { cur = ($0 ~ "'"'"'" e "'"'"'") }
      cur && /bytes stack frame/ { stack = $1; st = $5; ld = $9 }
      cur && /Used [0-9]+ registers/ { for (i = 1; i <= NF; i++) if ($i == "Used") regs = $(i + 1); print regs, stack, st, ld; cur = 0 }
    ' "$log")
    if [ -z "$row" ]; then
      echo "check-kernels: FAIL: no ptxas report for $entry in $name"
      bad=1
      continue
    fi
    read -r regs stack st ld <<<"$row"
    flag=""
    if [ "$direction" = forward ] && { [ "$st" != 0 ] || [ "$ld" != 0 ]; }; then
      flag="  <- SPILLS in a forward kernel"
      bad=1
    fi
    printf '%-36s %-22s %5s %6s %7s %7s%s\n' "$name" "$entry" "$regs" "$stack" "$st" "$ld" "$flag"
  done
done < "$work/variants.txt"

if [ "$bad" != 0 ]; then
  echo "check-kernels: FAILED"
  exit 1
fi
echo "check-kernels: all $count variants compile; no spills in the forward kernels"
