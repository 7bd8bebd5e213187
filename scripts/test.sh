#!/usr/bin/env bash
# The test command: builds everything and runs every test (mvn -B verify).
# Needs a JDK >= 25 and Maven. Installs PoCL (OpenCL on the CPU) when running as root and it is
# missing, so the OpenCL kernels run for real; continues without it otherwise (those tests skip).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib-java.sh
echo "using JDK at $JAVA_HOME ($(java -version 2>&1 | head -n1))"

if ! command -v mvn >/dev/null 2>&1; then
  echo "error: Maven (mvn) not found on PATH; install Maven 3.8+." >&2
  exit 1
fi

if ! ls /etc/OpenCL/vendors/*.icd >/dev/null 2>&1 || ! ldconfig -p 2>/dev/null | grep -q 'libOpenCL.so.1'; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PoCL (OpenCL on the CPU) with apt-get ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pocl-opencl-icd ocl-icd-libopencl1) \
      || echo "warning: could not install PoCL; OpenCL tests will be skipped" >&2
  else
    echo "note: no OpenCL ICD found and not root: OpenCL tests will be skipped" >&2
  fi
fi

mvn -B -ntp verify "$@"

# after the build: it reuses the compiled classes (CUDA kernels to PTX with nvcc + ptxas -v; skips without nvcc)
if [ -x scripts/check-kernels.sh ]; then
  scripts/check-kernels.sh
fi
