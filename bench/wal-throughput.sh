#!/usr/bin/env bash
# Benchmark (issue 17): WAL archive throughput of a burst of COUNT finished segments, side by side in one run:
#   BackupTools: archive_command = bt-wal-spool (durable local spool) + Push-PostgresWal -Watch -IntervalSec 1
#                (zstd + AES-256-GCM + SHA-256 batches of ≤ 64 files; the pusher's start-up is inside the time)
#   pgbackrest 2.45: archive_command = archive-push with archive-async=y process-max=2 (compress-type=zst,
#                repo cipher aes-256-cbc; its async process starts on demand, also inside the time)
# How: a private PostgreSQL 15 cluster (wal segment size SEG_MB) archives with an empty archive_command, so the
# segments an insert load writes pile up as .ready in pg_wal; once COUNT are ready, archive_command is switched to
# the tool and the clock runs until pg_stat_archiver counted COUNT more (for BackupTools also until the spool is
# drained: a segment counts only once it is durable in the repository). Each tool gets a fresh pile of the same size.
# usage: bench/wal-throughput.sh [COUNT=1000] [SEG_MB=16] [RUNS=1]   (env: BENCH_PG_PORT, below 32768; BENCH_DIR)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
count=${1:-1000}; seg_mb=${2:-16}; runs=${3:-1}
bin=/usr/lib/postgresql/15/bin
work=${BENCH_DIR:-/tmp/bt-bench-wal}
port=${BENCH_PG_PORT:-25440}
command -v pgbackrest >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbackrest >/dev/null; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"
as_pg() { runuser -u postgres -- "$@"; }

# A fresh cluster every run: the segment size is fixed at initdb.
data=$work/data
[ -f "$data/postmaster.pid" ] && as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"
install -d -o postgres -m 700 "$data"
as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --wal-segsize="$seg_mb" >/dev/null
cat >> "$data/postgresql.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
unix_socket_directories = '$data'
wal_level = replica
archive_mode = on
archive_command = ''
CONF
touch "$work/server.log"; chown postgres "$work/server.log"
as_pg "$bin/pg_ctl" -D "$data" -w -l "$work/server.log" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true' EXIT
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
psql() { "$bin/psql" -qAtX "$@" postgres; }
psql -c "create table filler(id bigint, payload text)"

# pgbackrest, configured as the issue names; its repository and spool are private to the postgres user.
br="$work/pgbackrest"; install -d -o postgres -m 700 "$br" "$br/repo" "$br/log" "$br/lock" "$br/spool"
head -c 32 /dev/urandom | base64 > "$br/pass"
cat > "$br/pgbackrest.conf" <<CONF
[global]
repo1-path=$br/repo
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=$(cat "$br/pass")
compress-type=zst
process-max=2
archive-async=y
spool-path=$br/spool
log-path=$br/log
lock-path=$br/lock
log-level-console=warn
log-level-file=warn
[bench]
pg1-path=$data
pg1-port=$port
pg1-socket-path=$data
CONF
chown postgres "$br/pgbackrest.conf" "$br/pass"; chmod 600 "$br/pgbackrest.conf" "$br/pass"
runuser -u postgres -- pgbackrest --config="$br/pgbackrest.conf" --stanza=bench stanza-create >/dev/null
pgbr_cmd="pgbackrest --config=$br/pgbackrest.conf --stanza=bench archive-push %p"

$bt -Command "New-BackupKey -Path '$work/bench.key' | Out-Null; Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null"
install -d -o postgres -m 700 "$work/spool"
bt_cmd="$root/module/tools/bt-wal-spool $work/spool %p %f"

ready() { find "$data/pg_wal/archive_status" -name '*.ready' | wc -l; }
archived() { psql -c "select archived_count from pg_stat_archiver"; }
set_command() { psql -c "alter system set archive_command = '$1'" -c "select pg_reload_conf()" >/dev/null; }

# Inserts until COUNT finished segments wait for the archiver (truncated each round: the table stays small).
pile_up() {
  while [ "$(ready)" -lt "$count" ]; do
    psql -c "truncate filler" -c "insert into filler select g, md5(g::text) || md5((g + 1)::text) from generate_series(1, 200000) g"
  done
}

# Seconds from switching archive_command to TOOL until COUNT more segments are archived (and, for BackupTools, pushed).
measure() {
  local tool=$1 before t0 t1
  before=$(archived)
  t0=$(date +%s.%N)
  if [ "$tool" = backuptools ]; then
    setsid $bt -Command "Push-PostgresWal '$work/spool' -Watch -IntervalSec 1 -Cell bench -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null" >>"$work/push.log" 2>&1 &
    push_pid=$!
    set_command "$bt_cmd"
  else
    set_command "$pgbr_cmd"
  fi
  while [ "$(archived)" -lt $((before + count)) ]; do sleep 0.2; done
  if [ "$tool" = backuptools ]; then
    # durable in the repository: the pusher removes a file from the spool only after its batch's manifest is written
    while [ "$(find "$work/spool" -maxdepth 1 -type f ! -name '.*' | wc -l)" -gt 0 ]; do sleep 0.2; done
  fi
  t1=$(date +%s.%N)
  set_command ""
  if [ "$tool" = backuptools ]; then kill -INT -- -"$push_pid" 2>/dev/null || true; sleep 3; kill -KILL -- -"$push_pid" 2>/dev/null || true; fi
  # let the archiver finish whatever it had started (segments beyond COUNT), then free the archived segments' disk
  sleep 2
  psql -c "checkpoint" >/dev/null
  python3 -c "print(f'{$t1 - $t0:.2f}')"
}

echo "== WAL archive throughput: a burst of $count ready segments of $seg_mb MB, BackupTools vs pgbackrest 2.45 async (process-max=2) =="
echo "host before: $(uptime)"
declare -A total=([backuptools]=0 [pgbackrest]=0)
for run in $(seq 1 "$runs"); do
  order="backuptools pgbackrest"; [ $((run % 2)) = 0 ] && order="pgbackrest backuptools"
  for tool in $order; do
    pile_up
    secs=$(measure "$tool")
    total[$tool]=$(python3 -c "print(${total[$tool]} + $secs)")
    printf 'run %d  %-12s %8.2f s  %8.1f segments/s  %8.1f MB/s   (load %s)\n' "$run" "$tool" "$secs" \
      "$(python3 -c "print($count / $secs)")" "$(python3 -c "print($count * $seg_mb / $secs)")" "$(cut -d' ' -f1-3 /proc/loadavg)"
  done
done
bt_rate=$(python3 -c "print($count * $runs / ${total[backuptools]})")
br_rate=$(python3 -c "print($count * $runs / ${total[pgbackrest]})")
printf 'mean: backuptools %.1f segments/s, pgbackrest %.1f segments/s, ratio backuptools/pgbackrest %.2f (≥ 1.0 is the issue'"'"'s bar)\n' \
  "$bt_rate" "$br_rate" "$(python3 -c "print($bt_rate / $br_rate)")"
echo "stored: backuptools $(du -sh "$work/repo" | cut -f1), pgbackrest $(du -sh "$br/repo" | cut -f1)"
echo "host after: $(uptime)  ($(nproc) cores, shared)"
