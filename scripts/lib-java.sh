# Sourced by the scripts: finds a JDK >= 25 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME, then the usual install folders. Exits with a clear message when none is found.
dcnv4_java_version() {   # prints the feature version of the java binary in $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n1
}

dcnv4_find_jdk() {
  local candidates=() c v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  for c in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    if [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ]; then
      v=$(dcnv4_java_version "$c/bin/java")
      if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
        echo "$c"
        return 0
      fi
    fi
  done
  return 1
}

if ! DCNV4_JDK=$(dcnv4_find_jdk); then
  echo "error: no JDK >= 25 found (looked at \$JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*, /opt/java/*, ...)." >&2
  echo "       Install a JDK 25 (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME="$DCNV4_JDK"
export PATH="$JAVA_HOME/bin:$PATH"
# JVM flags the library needs at run time: FFM native access and the Vector API incubator module.
DCNV4_JVM_FLAGS=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector)
