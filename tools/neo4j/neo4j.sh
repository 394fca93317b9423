#!/usr/bin/env bash
# A real Neo4j 5 Community server with Neo4j Browser, from Maven Central, on 127.0.0.1.
#
#   GRAPHREC_NEO4J_PASSWORD=... tools/neo4j/neo4j.sh start    # prints the Bolt URI when it answers
#   tools/neo4j/neo4j.sh status | stop | restart
#
# The first start asks Maven for the jars (cached in ~/.m2, about 160 MB) and sets the password
# of the user neo4j; later starts reuse both. Settings, all optional but the password:
#   GRAPHREC_NEO4J_PASSWORD   the neo4j user's password (8+ characters), set at the first start
#   NEO4J_BOLT_PORT=7687  NEO4J_HTTP_PORT=7474  NEO4J_DATA=.graphrec/neo4j (data, logs, conf)
#   NEO4J_HEAP=2g  NEO4J_PAGECACHE=2g          memory (see the README, "Neo4j")
#   NEO4J_BROWSER_ALLOW=127.0.0.1,localhost    hosts Neo4j Browser may load guides from
#   JAVA_HOME                                  a Java 17 or 21 (else `java` on the PATH)
# Exit status: 0 done, 1 failed (the message says why), 2 wrong usage, 3 `status`: not running.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BOLT_PORT=${NEO4J_BOLT_PORT:-7687}
HTTP_PORT=${NEO4J_HTTP_PORT:-7474}
DATA=$(realpath -m "${NEO4J_DATA:-.graphrec/neo4j}")
HEAP=${NEO4J_HEAP:-2g}
PAGECACHE=${NEO4J_PAGECACHE:-2g}
BROWSER_ALLOW=${NEO4J_BROWSER_ALLOW:-127.0.0.1,localhost}
HOME_DIR="$HERE/target/home"   # lib/: links to the jars in ~/.m2; nothing else is kept here
START_TIMEOUT=${NEO4J_START_TIMEOUT:-180}

say() { echo "neo4j.sh: $*" >&2; }
fail() { say "$*"; exit 1; }

find_java() {
  JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
  command -v "$JAVA" >/dev/null 2>&1 \
    || fail "no Java found: install a JDK 17 or 21 (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
  local version
  version=$("$JAVA" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')
  local major=${version%%.*}
  case "$major" in
    17 | 21) ;;
    *) fail "Neo4j ${NEO4J_VERSION:-5.26} runs on Java 17 or 21, and $JAVA is $version; set JAVA_HOME to a JDK 17 or 21 (ls /usr/lib/jvm)" ;;
  esac
  export JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")}
}

build() {  # the classpath, once per pom.xml: Maven resolves the jars into ~/.m2
  local classpath="$HERE/target/classpath.txt"
  if [ ! -s "$classpath" ] || [ "$HERE/pom.xml" -nt "$classpath" ] || [ ! -d "$HOME_DIR/lib" ]; then
    command -v mvn >/dev/null 2>&1 || fail "Maven (mvn) is needed once, to fetch Neo4j from Maven Central"
    say "fetching Neo4j from Maven Central (once; the jars stay in ~/.m2)"
    mkdir -p "$HERE/target"
    mvn -q -B -f "$HERE/pom.xml" dependency:build-classpath -Dmdep.outputFile="$classpath.tmp" \
      >"$HERE/target/maven.log" 2>&1 \
      || { tail -n 30 "$HERE/target/maven.log" >&2; fail "Maven could not fetch Neo4j (see above)"; }
    rm -rf "$HOME_DIR" && mkdir -p "$HOME_DIR/lib"
    tr ":" "\n" <"$classpath.tmp" | while read -r jar || [ -n "$jar" ]; do ln -s "$jar" "$HOME_DIR/lib/"; done
    mv "$classpath.tmp" "$classpath"
  fi
  export NEO4J_HOME="$HOME_DIR" NEO4J_CONF="$DATA/conf"
}

neo4j_command() {  # Neo4j's own launcher: what bin/neo4j runs (start, stop, status, console)
  "$JAVA" -cp "$HOME_DIR/lib/*" org.neo4j.server.startup.Neo4jCommand "$@"
}

port_open() {  # something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*' | head -1 | sed 's/users:((//'
  fi
}

bolt_answers() {  # a Bolt handshake: the server picks one of the versions offered (5.x or 4.4)
  local reply
  reply=$(
    exec 3<>"/dev/tcp/127.0.0.1/$BOLT_PORT" || exit 1
    printf '\x60\x60\xb0\x17\x00\x08\x08\x05\x00\x02\x04\x04\x00\x00\x00\x00\x00\x00\x00\x00' >&3
    timeout 5 head -c 4 <&3 | od -An -tx1 | tr -d ' \n'
  ) 2>/dev/null || return 1
  [ -n "$reply" ] && [ "$reply" != "00000000" ]
}

query_status() {  # HTTP status of `RETURN 1` on the default database, as neo4j with the password
  command -v curl >/dev/null 2>&1 || { echo 200; return; }
  curl -s -o /dev/null -w '%{http_code}' -m 10 -u "neo4j:$GRAPHREC_NEO4J_PASSWORD" \
    -H 'Content-Type: application/json' -d '{"statements":[{"statement":"RETURN 1"}]}' \
    "http://127.0.0.1:$HTTP_PORT/db/neo4j/tx/commit" || true
}

pid_of_server() {  # the pid Neo4j wrote, if that process still runs
  local pidfile="$DATA/run/neo4j.pid" pid
  [ -s "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

write_config() {
  mkdir -p "$DATA/conf" "$DATA/data" "$DATA/logs" "$DATA/run" "$DATA/import"
  cat >"$DATA/conf/neo4j.conf" <<EOF
# Written by tools/neo4j/neo4j.sh at every start: change its environment, not this file.
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.listen_address=127.0.0.1:$BOLT_PORT
server.bolt.advertised_address=127.0.0.1:$BOLT_PORT
server.http.listen_address=127.0.0.1:$HTTP_PORT
server.http.advertised_address=127.0.0.1:$HTTP_PORT
server.https.enabled=false
dbms.security.auth_enabled=true
server.directories.data=$DATA/data
server.directories.logs=$DATA/logs
server.directories.run=$DATA/run
server.directories.import=$DATA/import
server.directories.plugins=$DATA/plugins
server.memory.heap.initial_size=$HEAP
server.memory.heap.max_size=$HEAP
server.memory.pagecache.size=$PAGECACHE
db.tx_log.rotation.retention_policy=1G size
browser.remote_content_hostname_whitelist=$BROWSER_ALLOW
browser.post_connect_cmd=
server.jvm.additional=-XX:+UseG1GC
server.jvm.additional=-XX:-OmitStackTraceInFastThrow
server.jvm.additional=-XX:+UnlockExperimentalVMOptions
server.jvm.additional=-XX:+TrustFinalNonStaticFields
server.jvm.additional=-XX:+DisableExplicitGC
server.jvm.additional=-XX:+ExitOnOutOfMemoryError
server.jvm.additional=-Djdk.nio.maxCachedBufferSize=1024
server.jvm.additional=-Dio.netty.tryReflectionSetAccessible=true
server.jvm.additional=-Djdk.tls.ephemeralDHKeySize=2048
server.jvm.additional=-Djdk.tls.rejectClientInitiatedRenegotiation=true
server.jvm.additional=-XX:+UnlockDiagnosticVMOptions
server.jvm.additional=-XX:+DebugNonSafepoints
server.jvm.additional=--add-opens=java.base/java.nio=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/java.io=ALL-UNNAMED
server.jvm.additional=--add-opens=java.base/sun.nio.ch=ALL-UNNAMED
server.jvm.additional=-Dlog4j2.disable.jmx=true
EOF
  mkdir -p "$DATA/plugins"
}

show_log() {
  local log
  for log in "$DATA/logs/neo4j.log" "$DATA/logs/debug.log"; do
    [ -s "$log" ] || continue
    say "the last lines of $log:"
    grep -v '^\s*$' "$log" | tail -n 25 >&2
    return
  done
  say "(Neo4j wrote no log under $DATA/logs)"
}

print_uri() {
  say "Neo4j ${NEO4J_VERSION} Community is up (pid $1, data in $DATA)"
  say "  Neo4j Browser: http://127.0.0.1:$HTTP_PORT/browser/  (user neo4j)"
  say "  graphrec: export GRAPHREC_STORE=neo4j://127.0.0.1:$BOLT_PORT GRAPHREC_NEO4J_PASSWORD=..."
  echo "neo4j://127.0.0.1:$BOLT_PORT"
}

check_password() {
  [ -n "${GRAPHREC_NEO4J_PASSWORD:-}" ] \
    || fail "set GRAPHREC_NEO4J_PASSWORD (8 or more characters): the password of the user neo4j"
  [ "${#GRAPHREC_NEO4J_PASSWORD}" -ge 8 ] \
    || fail "GRAPHREC_NEO4J_PASSWORD is ${#GRAPHREC_NEO4J_PASSWORD} characters long; Neo4j needs 8 or more"
}

wrong_password() {
  fail "Neo4j at 127.0.0.1:$HTTP_PORT refused GRAPHREC_NEO4J_PASSWORD for the user neo4j: the data in $DATA was set up with another password. Use that one, or stop Neo4j and remove $DATA to start afresh"
}

start() {
  check_password
  local pid
  if pid=$(pid_of_server); then
    if [ "$(query_status)" = 401 ]; then wrong_password; fi
    say "already running"
    print_uri "$pid"
    return
  fi
  for port in "$BOLT_PORT" "$HTTP_PORT"; do
    if port_open "$port"; then
      local owner
      owner=$(port_owner "$port")
      fail "port $port on 127.0.0.1 is taken${owner:+ by $owner}; stop that, or choose another with NEO4J_BOLT_PORT / NEO4J_HTTP_PORT"
    fi
  done
  write_config
  if [ ! -e "$DATA/data/dbms/auth.ini" ] && [ ! -d "$DATA/data/databases/system" ]; then
    "$JAVA" -cp "$HOME_DIR/lib/*" org.neo4j.cli.AdminTool dbms set-initial-password \
      "$GRAPHREC_NEO4J_PASSWORD" >"$DATA/logs/set-initial-password.log" 2>&1 \
      || { cat "$DATA/logs/set-initial-password.log" >&2; fail "could not set the initial password"; }
  fi
  neo4j_command start >"$DATA/logs/launcher.log" 2>&1 || {
    cat "$DATA/logs/launcher.log" >&2
    show_log
    fail "Neo4j did not start"
  }
  local waited=0
  while :; do
    if ! pid=$(pid_of_server); then
      show_log
      fail "Neo4j stopped while starting (see above; the launcher's output is in $DATA/logs/launcher.log)"
    fi
    if bolt_answers; then
      case "$(query_status)" in
        200) break ;;
        401) neo4j_command stop >/dev/null 2>&1 || true; wrong_password ;;
      esac
    fi
    if [ "$waited" -ge "$START_TIMEOUT" ]; then
      show_log
      fail "Neo4j did not answer on Bolt port $BOLT_PORT within ${START_TIMEOUT}s (pid $pid is still running; stop it with: $0 stop)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  print_uri "$pid"
}

stop() {
  local pid
  if ! pid=$(pid_of_server); then
    say "not running (data in $DATA)"
    return
  fi
  say "stopping Neo4j (pid $pid); it checkpoints before it exits"
  neo4j_command stop >&2 || fail "Neo4j did not stop (pid $pid)"
  if kill -0 "$pid" 2>/dev/null; then fail "Neo4j (pid $pid) is still running"; fi
}

status() {
  local pid
  if pid=$(pid_of_server); then
    say "running (pid $pid, data in $DATA); Bolt $(bolt_answers && echo answers || echo "does not answer yet")"
    echo "neo4j://127.0.0.1:$BOLT_PORT"
  else
    say "not running (data in $DATA)"
    exit 3
  fi
}

NEO4J_VERSION=$(sed -n 's:.*<neo4j.version>\(.*\)</neo4j.version>.*:\1:p' "$HERE/pom.xml")
case "${1:-}" in
  start) find_java; build; start ;;
  stop) find_java; build; stop ;;
  restart) find_java; build; stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
