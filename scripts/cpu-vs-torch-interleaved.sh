#!/usr/bin/env bash
# PyTorch against device "java" in alternating one-second bursts, both processes kept warm, so that
# the host's drift affects both alike (see scripts/cpu-vs-torch-interleaved.py for the details).
#   scripts/cpu-vs-torch-interleaved.sh [--rounds 10] [--burst 1.0] [--warmup 5] [N H W C G THREADS]
# Needs python3 with torch (Debian: python3-torch).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib-java.sh"
jar="$root/dcnv4-bench/target/dcnv4.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -DskipTests package -pl dcnv4-bench -am)
export JAVA="$JAVA_HOME/bin/java" DCNV4_JAR="$jar" DCNV4_JVM_OPTIONS="${DCNV4_JVM_FLAGS[*]}"
exec "${PYTHON:-/usr/bin/python3}" "$root/scripts/cpu-vs-torch-interleaved.py" \
  --torch-ref "${TORCH_REF:-$root/../shared/tools/torch_ref.py}" "$@"
