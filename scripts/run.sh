#!/usr/bin/env bash
# The main job. For now: the golden check on every available device, results in out/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source scripts/lib-java.sh
goldens="${DCNV4_GOLDENS:-$root/../shared/goldens}"
mkdir -p out
devices=$(scripts/dcnv4 devices --ids 2>/dev/null || echo "reference")
echo "devices: $devices"
status=0
for d in $devices; do
  echo "== golden check on $d"
  scripts/dcnv4 check --goldens "$goldens" --device "$d" --dtype all | tee "out/check-$d.txt" || status=1
done
echo "logs in $root/out/"
exit $status
