#!/usr/bin/env bash
# Builds gpu-bundle/ (ignored by git): everything needed to run the GPU checks on a machine that has
# an NVIDIA driver but no Java and no network (design.md section 9):
#   gpu-bundle/runtime/     a jlinked Java runtime with just the modules dcnv4.jar needs (jdeps)
#   gpu-bundle/lib/dcnv4.jar
#   gpu-bundle/bin/dcnv4    launcher (FFM native access + the Vector API module)
#   gpu-bundle/goldens/     a copy of the golden folder
#   gpu-bundle/gpu-check.sh the check script (same as scripts/gpu-check.sh)
# Carry the folder to the GPU box and run gpu-bundle/gpu-check.sh there (docs/gpu.md).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib-java.sh
out="${DCNV4_BUNDLE_DIR:-$root/gpu-bundle}"
goldens="${DCNV4_GOLDENS:-$root/../shared/goldens}"
jar="$root/dcnv4-bench/target/dcnv4.jar"

if [ ! -f "$jar" ] || [ -n "$(find "$root"/dcnv4-*/src/main "$root"/pom.xml "$root"/dcnv4-*/pom.xml -newer "$jar" -type f -print -quit)" ]; then
  echo "gpu-bundle: building $jar ..."
  mvn -B -q -ntp -o -DskipTests package >/dev/null 2>&1 || mvn -B -q -ntp -DskipTests package
fi

# modules: what jdeps finds in the shaded jar, plus the incubator Vector API (loaded with --add-modules),
# minus DCNV4_BUNDLE_EXCLUDE. By default that drops java.desktop and java.sql (about 28 MB together): jdeps
# finds them through Jackson's optional java.beans/java.sql support (guarded, unused here) and through
# commons-math / the report's charts (the `analyze` command, which is not run on the GPU box). The smoke
# test at the end runs the commands gpu-check.sh uses (devices, check, bench --json) on this runtime.
exclude=" ${DCNV4_BUNDLE_EXCLUDE-java.desktop java.sql} "
found=$(jdeps --print-module-deps --ignore-missing-deps --multi-release "$(java -XshowSettings:properties -version 2>&1 \
  | sed -n 's/^ *java.specification.version = //p')" "$jar")
mods=""
for m in $(echo "$found,jdk.incubator.vector" | tr , "\n" | sort -u); do
  case "$exclude" in *" $m "*) echo "gpu-bundle: leaving out $m (see DCNV4_BUNDLE_EXCLUDE)" ;; *) mods="${mods:+$mods,}$m" ;; esac
done
echo "gpu-bundle: jdeps found $found; bundling $mods"

rm -rf "$out"
mkdir -p "$out/lib" "$out/bin"
jlink --add-modules "$mods" --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$out/runtime"
cp "$jar" "$out/lib/dcnv4.jar"
cp scripts/gpu-check.sh "$out/gpu-check.sh"
if [ -f "$goldens/cases.json" ]; then
  cp -r "$goldens" "$out/goldens"
else
  echo "gpu-bundle: warning: no golden folder at $goldens; gpu-check.sh will skip the golden checks" >&2
fi
cat > "$out/bin/dcnv4" <<'LAUNCHER'
#!/usr/bin/env bash
# dcnv4 command line on the bundled Java runtime. Extra JVM options: DCNV4_JAVA_OPTS.
here="$(cd "$(dirname "$0")/.." && pwd)"
exec "$here/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -Djava.awt.headless=true ${DCNV4_JAVA_OPTS:-} -jar "$here/lib/dcnv4.jar" "$@"
LAUNCHER
cat > "$out/bin/dcnv4-class" <<'LAUNCHER'
#!/usr/bin/env bash
# Runs a main class of dcnv4.jar on the bundled runtime: dcnv4-class CLASS [ARGS...]
here="$(cd "$(dirname "$0")/.." && pwd)"
cls="$1"; shift
exec "$here/runtime/bin/java" --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector \
  -Djava.awt.headless=true ${DCNV4_JAVA_OPTS:-} -cp "$here/lib/dcnv4.jar" "$cls" "$@"
LAUNCHER
chmod +x "$out/bin/dcnv4" "$out/bin/dcnv4-class" "$out/gpu-check.sh"
{
  echo "built $(date -u +%Y-%m-%dT%H:%M:%SZ) from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "java $("$out/runtime/bin/java" -version 2>&1 | head -n1)"
  echo "modules $mods"
} > "$out/VERSION"
echo "gpu-bundle: $(du -sh "$out" | cut -f1) in $out (runtime $(du -sh "$out/runtime" | cut -f1), jar $(du -sh "$out/lib/dcnv4.jar" | cut -f1))"
# smoke test on this machine (no GPU needed): the commands gpu-check.sh runs, on the bundled runtime
"$out/bin/dcnv4" --version
"$out/bin/dcnv4" devices
if [ -f "$out/goldens/cases.json" ]; then
  "$out/bin/dcnv4" check --goldens "$out/goldens" --device java --dtype fp32 --direction forward | tail -n 1
fi
"$out/bin/dcnv4" bench --device java --shape 1,8,8,32 --groups 2 --seconds 0.1 --warmup-seconds 0.05 \
  --json "$out/.smoke.json" >/dev/null && rm -f "$out/.smoke.json" && echo "gpu-bundle: smoke test passed"
