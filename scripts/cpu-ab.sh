#!/usr/bin/env bash
# A/B timing of the CPU backend: a git revision's dcnv4-core against the working tree's, both
# loaded into one JVM and called in turn (dev.dcnv4.bench.ab.CpuAb), so that machine drift affects
# both alike. Builds the revision in a temporary worktree.
#   scripts/cpu-ab.sh REV [cpu-ab options: --threads 2 --dtype fp32 --backward (or --both: forward then backward) --shape 1,56,56,128 --groups 4 --seconds 20
#                         --evict-mb 64 (caches evicted before each call)
#                         --offset-amplitude 0.05 (points near their taps: a small working set)
#                         --profile FILE.jfr (one version: JFR samples by method)]
# Without REV (first argument an option) it times the working tree alone, which is what comparing
# precisions needs:  scripts/cpu-ab.sh --dtype fp32,fp16 [--backward]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/scripts/lib-java.sh"
if [ $# -lt 1 ]; then
  echo "usage: scripts/cpu-ab.sh REV [cpu-ab options]   (e.g. scripts/cpu-ab.sh HEAD~3 --backward)" >&2
  exit 2
fi
jar="$root/dcnv4-bench/target/dcnv4.jar"
(cd "$root" && mvn -B -q -DskipTests package -pl dcnv4-bench -am)
if [[ "$1" == --* ]]; then
  exec java "${DCNV4_JVM_FLAGS[@]}" -cp "$jar" dev.dcnv4.bench.ab.CpuAb "working-tree=$root/dcnv4-core/target/classes" "$@"
fi
rev="$1"; shift
tmp="$(mktemp -d)"; trap 'git -C "$root" worktree remove --force "$tmp/tree" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add -q --detach "$tmp/tree" "$rev"
(cd "$tmp/tree" && mvn -B -q -DskipTests compile -pl dcnv4-core)
java "${DCNV4_JVM_FLAGS[@]}" -cp "$jar" dev.dcnv4.bench.ab.CpuAb "$rev=$tmp/tree/dcnv4-core/target/classes" \
  "working-tree=$root/dcnv4-core/target/classes" "$@"
