#!/usr/bin/env bash
# A private RabbitMQ broker (Debian's rabbitmq-server with the management plugin) for the RabbitMQ tests, opt-in:
# the main test servers (servers.sh) do not start it. 127.0.0.1 only, own node name, data dir, Erlang cookie and
# epmd, so it never meets a system broker.
#
#   scripts/rabbitmq.sh start | stop | status
#
# Ports: BT_RABBITMQ_PORT (AMQP, default 24672: below the ephemeral port range), +1 management HTTP, +2 Erlang distribution, +3 epmd.
# State: $BACKUPTOOLS_SERVERS_DIR/rabbitmq-<port> (default <repo>/.servers/…); writes rabbitmq.json there
# (management URL, admin user and its generated password, 0600). Install: scripts/servers.sh install.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); repo=$(dirname "$here")
port=${BT_RABBITMQ_PORT:-24672}
dir=${BACKUPTOOLS_SERVERS_DIR:-$repo/.servers}/rabbitmq-$port
log() { echo "rabbitmq: $*" >&2; }

export HOME=$dir/home RABBITMQ_NODENAME=bt$port@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$port \
  RABBITMQ_DIST_PORT=$((port + 2)) ERL_EPMD_PORT=$((port + 3)) RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
  RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins RABBITMQ_CONFIG_FILE=$dir/rabbitmq RABBITMQ_PID_FILE=$dir/rabbit.pid

up() { curl -sf -o /dev/null -u "bt:$(cat "$dir/password")" "http://127.0.0.1:$((port + 1))/api/overview"; }

start() {
  command -v rabbitmq-server >/dev/null || { log "rabbitmq-server is not installed: run scripts/servers.sh install"; exit 1; }
  if [ -s "$dir/password" ] && up; then return; fi
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  umask 077
  [ -s "$dir/password" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
  [ -s "$dir/home/.erlang.cookie" ] || head -c 20 /dev/urandom | base64 | tr -d '/+=' > "$dir/home/.erlang.cookie"
  printf 'listeners.tcp.default = 127.0.0.1:%s\nmanagement.tcp.ip = 127.0.0.1\nmanagement.tcp.port = %s\ndefault_user = bt\ndefault_pass = %s\n' \
    "$port" "$((port + 1))" "$(cat "$dir/password")" > "$dir/rabbitmq.conf"
  rabbitmq-plugins --offline enable rabbitmq_management rabbitmq_federation >/dev/null
  # The server script runs the broker as the rabbitmq user when started as root.
  if id rabbitmq >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown -R rabbitmq:rabbitmq "$dir"; chmod 711 "$dir/.."; fi
  nohup rabbitmq-server </dev/null >>"$dir/log/server.out" 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do up && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  up || { log "the broker did not come up; last lines of its log:"; tail -n 20 "$dir/log/server.out" >&2; exit 1; }
  cat > "$dir/rabbitmq.json" <<JSON
{ "managementUrl": "http://127.0.0.1:$((port + 1))", "amqpPort": $port, "user": "bt", "password": "$(cat "$dir/password")", "node": "$RABBITMQ_NODENAME" }
JSON
  chmod 600 "$dir/rabbitmq.json"
  log "up: AMQP :$port, management http://127.0.0.1:$((port + 1)) (state: $dir)"
}

stop() {
  [ -d "$dir" ] || return 0
  rabbitmqctl stop >/dev/null 2>&1 || true
  epmd -kill >/dev/null 2>&1 || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) [ -s "$dir/password" ] && up && echo "rabbitmq up :$port" || { echo "rabbitmq down"; exit 1; } ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
