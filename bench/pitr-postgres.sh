#!/usr/bin/env bash
# Benchmark (issue 17): physical base backups and point-in-time restore, side by side in one run.
#   backup:  Backup-PostgresBase (zstd + AES-256-GCM + SHA-256, via the runner, start-up included)
#            vs pgbackrest 2.45 `backup --type=full` (compress-type=zst, repo cipher aes-256-cbc, process-max=2)
#            and vs bare `pg_basebackup -Ft -X fetch -D - > /dev/null`
#   restore: Restore-PostgresCluster (unpack, verify, recover, promote, prove) vs `pgbackrest restore` + start + promote
#   rpo:     WAL RPO under pgbench -R 200: Receive-PostgresWal vs bt-wal-spool + Push-PostgresWal -Watch (RPO_SECONDS, ARCHIVE_TIMEOUT)
# on a private PostgreSQL 15 cluster filled by pgbench (scale 100 ≈ 1.5 GB). Installs pgbackrest from Debian if missing.
# usage: bench/pitr-postgres.sh [SCALE=100] [RUNS=3] [SECTIONS=all|bare,pgbackrest,restore,rpo]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
scale=${1:-100}; runs=${2:-3}; sections=${3:-all}
want() { [ "$sections" = all ] || [[ ",$sections," == *",$1,"* ]]; }
bin=/usr/lib/postgresql/15/bin
work=${BENCH_DIR:-/tmp/bt-bench-pitr}
command -v pgbackrest >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"
as_pg() { runuser -u postgres -- "$@"; }

mkdir -p "$work"; chmod 755 "$work"
data=$work/data port=${BENCH_PG_PORT:-55432}
if [ ! -f "$data/PG_VERSION" ]; then
  install -d -o postgres -m 700 "$data"
  as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  cat >> "$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
wal_level = replica
max_wal_senders = 4
CONF
fi
touch "$work/server.log"; chown postgres "$work/server.log"
as_pg "$bin/pg_ctl" -D "$data" -w -l "$work/server.log" status >/dev/null 2>&1 || as_pg "$bin/pg_ctl" -D "$data" -w -l "$work/server.log" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$data" -m fast stop >/dev/null 2>&1 || true' EXIT
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
if [ "$("$bin/psql" -Atc "select count(*) from pg_tables where tablename='pgbench_accounts'" postgres)" = 0 ] || \
   [ "$("$bin/psql" -Atc "select count(*) / 100000 from pgbench_accounts" postgres)" != "$scale" ]; then
  echo "generating pgbench scale $scale…" >&2
  "$bin/pgbench" -i -q -s "$scale" postgres >/dev/null 2>&1
fi
echo "cluster: $("$bin/psql" -Atc "select pg_size_pretty(sum(pg_database_size(datname))::bigint) from pg_database" postgres)" >&2

# pgbackrest, configured as the issue names; its repository is private to the postgres user.
br="$work/pgbackrest"; install -d -o postgres -m 700 "$br" "$br/repo" "$br/log" "$br/lock"
[ -f "$br/pass" ] || { head -c 32 /dev/urandom | base64 > "$br/pass"; chown postgres "$br/pass"; chmod 600 "$br/pass"; }
cat > "$br/pgbackrest.conf" <<CONF
[global]
repo1-path=$br/repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$(cat "$br/pass")
compress-type=zst
process-max=2
repo1-retention-full=9999999
start-fast=y
archive-copy=y
log-path=$br/log
lock-path=$br/lock
log-level-console=warn
[bench]
pg1-path=$data
pg1-port=$port
pg1-socket-path=$data
CONF
chown postgres "$br/pgbackrest.conf"; chmod 600 "$br/pgbackrest.conf"
pgbr="runuser -u postgres -- pgbackrest --config=$br/pgbackrest.conf --stanza=bench"
# pgbackrest needs the cluster archiving into it (its backups take their WAL from the archive; archive-copy makes
# them self-contained like pg_basebackup -X fetch). BackupTools' base backup does not depend on it.
want_cmd="pgbackrest --config=$br/pgbackrest.conf --stanza=bench archive-push %p"
if [ "$("$bin/psql" -Atc "show archive_command" postgres)" != "$want_cmd" ]; then
  "$bin/psql" -qc "alter system set archive_mode = on" -c "alter system set archive_command = '$want_cmd'" postgres
  as_pg "$bin/pg_ctl" -D "$data" -w -l "$work/server.log" restart >/dev/null
fi
$pgbr stanza-create >/dev/null 2>&1 || true

[ -f "$work/bench.key" ] || $bt -Command "New-BackupKey -Path '$work/bench.key' | Out-Null"
reset="rm -rf '$work/repo' '$br/repo/'* && $pgbr stanza-create >/dev/null 2>&1; $bt -Command \"Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null\""
candidate="$bt -Command \"Backup-PostgresBase -Server 127.0.0.1 -Port $port -Cell bench -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null\""

if want pgbackrest; then
  echo "== Backup-PostgresBase vs pgbackrest backup --type=full (zst, aes-256-cbc, process-max 2) =="
  "$here/harness.sh" -n "$runs" -p "$reset" -l "pgbackrest full" -b "$pgbr --type=full backup" -o "$br/repo/backup" \
    -L "Backup-PostgresBase" -c "$candidate" -O "$work/repo/backups"
fi
if want bare; then
  echo "== Backup-PostgresBase vs bare pg_basebackup -Ft -X fetch -D - > /dev/null =="
  "$here/harness.sh" -n "$runs" -p "$reset" -l "pg_basebackup > /dev/null" -b "$bin/pg_basebackup -Ft -X fetch -c fast -D - > /dev/null" \
    -L "Backup-PostgresBase" -c "$candidate" -O "$work/repo/backups"
fi
if want restore; then
  echo "== Restore-PostgresCluster vs pgbackrest restore + start + promote (same point: the end of the backup) =="
  bash -c "$reset" >/dev/null 2>&1; $pgbr --type=full backup; bash -c "$candidate"
  rport=$((port + 1))
  clean="for d in '$work/r-br' '$work/r-bt'; do runuser -u postgres -- $bin/pg_ctl -D \$d -m immediate stop >/dev/null 2>&1; rm -rf \$d \$d.bt-wal \$d.bt-recovery.log; done"
  baseline="install -d -o postgres -m 700 '$work/r-br' && $pgbr restore --pg1-path='$work/r-br' --type=immediate --target-action=promote >/dev/null \
    && touch '$work/r-br.log' && chown postgres '$work/r-br.log' \
    && runuser -u postgres -- $bin/pg_ctl -D '$work/r-br' -w -t 3600 -l '$work/r-br.log' -o '-p $rport -c listen_addresses=127.0.0.1 -c archive_mode=off -c unix_socket_directories=$work/r-br' start >/dev/null \
    && until [ \"\$($bin/psql -h 127.0.0.1 -p $rport -U postgres -Atc 'select pg_is_in_recovery()' postgres 2>/dev/null)\" = f ]; do sleep 0.1; done \
    && runuser -u postgres -- $bin/pg_ctl -D '$work/r-br' -m fast stop >/dev/null"
  cand="$bt -Command \"Restore-PostgresCluster bench -DataDirectory '$work/r-bt' -Port $rport -Repository '$work/repo' -KeyFile '$work/bench.key' -Confirm:\\\$false | Out-Null\""
  "$here/harness.sh" -n "$runs" -p "$clean" -l "pgbackrest restore+recover" -b "$baseline" -L "Restore-PostgresCluster" -c "$cand"
  bash -c "$clean"
fi
if want rpo; then
  # WAL RPO (commit → durable in the repository) under a steady pgbench write load, both ways in at once:
  # Receive-PostgresWal (streaming, cell bench-stream) and bt-wal-spool + Push-PostgresWal -Watch (cell bench-arch).
  # A sampler notes (time, pg_current_wal_lsn()) every second; afterwards each sample's RPO is the time until the
  # first WAL batch manifest whose archive reaches that LSN was written (python over the manifests).
  rpo_secs=${RPO_SECONDS:-60} timeout_s=${ARCHIVE_TIMEOUT:-10}
  echo "== WAL RPO under pgbench -R 200 for ${rpo_secs}s: streaming archiver vs archive_command (archive_timeout ${timeout_s}s, push every 1 s) =="
  rm -rf "$work/repo" "$work/stream" "$work/spool"; $bt -Command "Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null"
  install -d -o postgres -m 700 "$work/spool"
  "$bin/psql" -qc "alter system set archive_command = '$root/module/tools/bt-wal-spool $work/spool %p %f'" -c "alter system set archive_timeout = '${timeout_s}s'" -c "select pg_reload_conf()" postgres
  "$bin/psql" -qAtc "select pg_drop_replication_slot('bt_bench') from pg_replication_slots where slot_name = 'bt_bench'" postgres >/dev/null
  setsid $bt -Command "Receive-PostgresWal '$work/stream' -Slot bt_bench -Server 127.0.0.1 -Port $port -Cell bench-stream -Repository '$work/repo' -KeyFile '$work/bench.key'" >"$work/stream.log" 2>&1 &
  stream_pid=$!
  setsid $bt -Command "Push-PostgresWal '$work/spool' -Watch -IntervalSec 1 -Cell bench-arch -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null" >"$work/push.log" 2>&1 &
  push_pid=$!
  sleep 10 # both archivers up
  : > "$work/samples"
  ( end=$((SECONDS + rpo_secs)); while [ $SECONDS -lt $end ]; do
      echo "$(date +%s.%N) $("$bin/psql" -Atc "select pg_current_wal_lsn()" postgres)" >> "$work/samples"; sleep 1; done ) &
  sampler=$!
  "$bin/pgbench" -n -c 2 -T "$rpo_secs" -R 200 postgres > "$work/pgbench.log" 2>&1
  wait $sampler
  sleep $((timeout_s + 15)) # the last samples get their chance to arrive
  kill -INT -- -$stream_pid -$push_pid 2>/dev/null; sleep 3; kill -KILL -- -$stream_pid -$push_pid 2>/dev/null || true
  "$bin/psql" -qc "alter system set archive_command = '$want_cmd'" -c "alter system reset archive_timeout" -c "select pg_reload_conf()" postgres
  "$bin/psql" -qAtc "select pg_drop_replication_slot('bt_bench')" postgres >/dev/null || true
  echo "pgbench: $(grep -E '^tps' "$work/pgbench.log" | head -1)"
  python3 "$here/wal-rpo.py" "$work/repo" "$work/samples" bench-stream bench-arch
  echo "machine load during the run: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min), $(nproc) cores"
fi
