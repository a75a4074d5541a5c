#!/usr/bin/env bash
# Benchmark (issue 18): MariaDB physical backups, point-in-time restore and binlog archive RPO, side by side in one run.
#   physical: Backup-MySqlPhysical (zstd + AES-256-GCM + SHA-256, via the runner, start-up included)
#             vs bare `mariadb-backup --backup --stream=mbstream > /dev/null` and vs `… | gzip > file`
#   restore:  Restore-MySql -BinlogCell -At (dump + binlog replay to a point) vs Restore-MySql of the dump alone
#   physcpu:  CPU seconds per GB (user + sys, children included) of bare mariadb-backup and of Backup-MySqlPhysical per
#             compression (PHYS_CODECS, default "zstd:1 zstd:-1 zstd:-5 none"), runner start-up subtracted; stored size.
#   physrestore: Restore-MySqlPhysical into a new data directory (verify, unpack, --prepare, proof on a temporary server)
#             vs mbstream -x of a plain stream file + mariadb-backup --prepare + --copy-back
#   rpo:      Push-MySqlBinlog -Watch -IntervalSec 1 under a steady write load (WRITES_PER_SEC, RPO_SECONDS): per-second
#             samples of the server's GTID; a sample's RPO is the time until a binlog batch manifest holds that GTID.
#   throughput: the same archiver against a steady BINLOG_MB_PER_SEC (default 20) binlog for THROUGHPUT_SECONDS (45):
#             64 KiB incompressible rows at a paced rate; archived MB/s vs written MB/s, RPO p50/p95/max, and the
#             archiver's CPU seconds (runner + mariadb-binlog, from ps) — the host is shared, so CPU says more than wall.
# On a private MariaDB (binlog on, ROW) in $BENCH_DIR on port $BENCH_MY_PORT, filled with ROWS rows of InnoDB
# (~200 bytes each: ROWS=5000000 ≈ 1 GB). The password reaches the tools in a 0600 defaults file and the runner in a
# 0600 file it reads itself — never argv. Other processes share this machine: the load average is printed.
# usage: bench/pitr-mysql.sh [ROWS=1000000] [RUNS=3] [SECTIONS=all|physical,physcpu,physrestore,restore,rpo,throughput]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
rows=${1:-1000000}; runs=${2:-3}; sections=${3:-all}
want() { [ "$sections" = all ] || [[ ",$sections," == *",$1,"* ]]; }
work=${BENCH_DIR:-/tmp/bt-bench-pitr-my}; port=${BENCH_MY_PORT:-33316}
command -v mariadb-backup >/dev/null || { echo "mariadb-backup is required: scripts/servers.sh install (or apt-get install mariadb-backup)" >&2; exit 1; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"
mkdir -p "$work"; chmod 700 "$work"
echo "load before: $(uptime)"

# The server: its own datadir, binlog beside it.
[ -f "$work/pw" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$work/pw"; chmod 600 "$work/pw"; }
pw=$(cat "$work/pw")
printf '[client]\nhost=127.0.0.1\nport=%s\nuser=root\npassword="%s"\n' "$port" "$pw" > "$work/my.cnf"; chmod 600 "$work/my.cnf"
my="mariadb --defaults-extra-file=$work/my.cnf"
if [ ! -d "$work/data/mysql" ]; then
  mariadb-install-db --no-defaults --datadir="$work/data" --user=root --auth-root-authentication-method=normal --skip-test-db >/dev/null
fi
printf "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '%s';\nALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '%s';\nGRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n" "$pw" "$pw" > "$work/init.sql"
chmod 600 "$work/init.sql"
if ! $my -e "select 1" >/dev/null 2>&1; then
  nohup mariadbd --no-defaults --user=root --datadir="$work/data" --socket="$work/s.sock" --port="$port" --bind-address=127.0.0.1 \
    --pid-file="$work/mariadb.pid" --log-bin="$work/binlog" --server-id=1 --binlog-format=ROW --init-file="$work/init.sql" \
    --log-error="$work/error.log" --innodb-buffer-pool-size=256M --skip-name-resolve </dev/null >/dev/null 2>&1 &
  for _ in $(seq 1 120); do $my -e "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
fi
trap '$my -e shutdown >/dev/null 2>&1 || true' EXIT
# The restore and rpo sections add rows; only fewer than asked (or none) means generating again.
if [ "$($my -N -e "select coalesce((select count(*) from bench.events), 0)" 2>/dev/null || echo 0)" -lt "$rows" ]; then
  echo "generating $rows rows…" >&2
  $my -e "drop database if exists bench; create database bench; create table bench.events(id bigint primary key auto_increment, at datetime(6) not null,
    customer varchar(40) not null, note varchar(160) not null, amount decimal(12,2) not null, key(customer)) engine=InnoDB"
  $my -e "set session sql_log_bin=0; insert into bench.events(at, customer, note, amount)
    select now(6) - interval seq second, concat('cust-', floor(rand()*200000)), concat(md5(rand()), ' ', md5(rand()), ' ', left(md5(rand()), 60)),
      round(rand()*10000, 2) from seq_1_to_$rows" bench
fi
echo "server: $($my -N -e 'select count(*) from bench.events') rows, $(du -sm "$work/data/bench" | cut -f1) MB InnoDB files, $($my -N -e 'select version()')"

[ -f "$work/bench.key" ] || $bt -Command "New-BackupKey -Path '$work/bench.key' | Out-Null"
cred="\\\$c = [pscredential]::new('root', [Net.NetworkCredential]::new('', [IO.File]::ReadAllText('$work/pw')).SecurePassword);"
conn="-Server 127.0.0.1 -Port $port -Credential \\\$c"
repo="-Repository '$work/repo' -KeyFile '$work/bench.key'"
reset="rm -rf '$work/repo' '$work/gz' && mkdir -p '$work/gz' && $bt -Command \"Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null\""
physical="$bt -Command \"$cred Backup-MySqlPhysical $conn -Cell bench $repo | Out-Null\""

rpo_report() { # cell: each GTID sample in $work/samples → seconds until a batch manifest of the cell held it
  python3 - "$work/repo" "$work/samples" "$1" <<'PY'
import glob, json, sys
from datetime import datetime
repo, samples, cell = sys.argv[1:]
def seq(gtid): return max((int(p.split('-')[2]) for p in (gtid or '').split(',') if p.count('-') == 2), default=0)
batches = sorted((datetime.fromisoformat(m['completedAt'].replace('Z', '+00:00')).timestamp(),
                  max((seq(s.get('lastGtid')) for s in m['engineInfo']['segments']), default=0))
                 for m in (json.load(open(p)) for p in glob.glob(f'{repo}/backups/*/manifest.json'))
                 if m.get('cell') == cell and m.get('engine') == 'mysql-binlog')
reach, top = [], 0
for t, s in batches:
    top = max(top, s); reach.append((t, top))
rpos, missing = [], 0
for line in open(samples):
    t, g = line.split()[:2] if len(line.split()) > 1 else (line.split()[0], '')
    hit = next((bt for bt, r in reach if r >= seq(g)), None)
    if hit is None: missing += 1
    else: rpos.append(max(0.0, hit - float(t)))
rpos.sort()
if not rpos: print(f'{cell}: no sample reached the archive ({len(batches)} batches)'); sys.exit()
print(f'{cell}: RPO p50 {rpos[len(rpos)//2]:.1f} s, p95 {rpos[min(len(rpos)-1, int(len(rpos)*0.95))]:.1f} s, max {rpos[-1]:.1f} s '
      f'over {len(rpos)} samples' + (f', {missing} never archived' if missing else '') + f'; {len(batches)} binlog batches')
PY

}

if want physical; then
  echo "== Backup-MySqlPhysical vs bare mariadb-backup --stream=mbstream > /dev/null =="
  "$here/harness.sh" -n "$runs" -p "$reset" -l "mariadb-backup > /dev/null" \
    -b "mariadb-backup --defaults-extra-file=$work/my.cnf --backup --stream=mbstream --target-dir=$work/gz > /dev/null" \
    -L "Backup-MySqlPhysical" -c "$physical" -O "$work/repo/backups"
  echo "== Backup-MySqlPhysical vs mariadb-backup --stream=mbstream | gzip > file =="
  "$here/harness.sh" -n "$runs" -p "$reset" -l "mariadb-backup | gzip" \
    -b "mariadb-backup --defaults-extra-file=$work/my.cnf --backup --stream=mbstream --target-dir=$work/gz 2>/dev/null | gzip > $work/gz/b.mbs.gz" -o "$work/gz/b.mbs.gz" \
    -L "Backup-MySqlPhysical" -c "$physical" -O "$work/repo/backups"
fi

if want physcpu; then
  # CPU seconds (user + sys, children included: mariadb-backup, zstd workers) per GB of mbstream: on a shared host CPU
  # time is the fair measure; wall is printed beside it. The runner's own start-up is measured apart and subtracted.
  echo "== CPU per GB: bare mariadb-backup > /dev/null vs Backup-MySqlPhysical by compression (${PHYS_CODECS:-zstd:1 zstd:-1 zstd:-5 none}) =="
  timed() { /usr/bin/time -f "%e %U %S" -o "$work/time" bash -c "$1" >/dev/null 2>&1; cat "$work/time"; }
  bytes=$(mariadb-backup --defaults-extra-file="$work/my.cnf" --backup --stream=mbstream --target-dir="$work/gz" 2>/dev/null | wc -c)
  read -r w u s < <(timed "mariadb-backup --defaults-extra-file=$work/my.cnf --backup --stream=mbstream --target-dir=$work/gz > /dev/null")
  python3 -c "print(f'bare mariadb-backup: {$bytes/1e6:.0f} MB mbstream, wall {$w:.2f} s, CPU {$u+$s:.2f} s = {($u+$s)/($bytes/1e9):.2f} CPU-s/GB')"
  read -r w u s < <(timed "$bt -Command '1' ")
  startup=$(python3 -c "print($u + $s)"); echo "runner start-up alone: wall $w s, CPU $startup s (subtracted below)"
  for codec in ${PHYS_CODECS:-zstd:1 zstd:-1 zstd:-5 none}; do
    bash -c "$reset" >/dev/null
    opts="-Compression ${codec%%:*}"; [ "$codec" = none ] || opts="$opts -CompressionLevel ${codec#*:}"
    read -r w u s < <(timed "$bt -Command \"$cred Backup-MySqlPhysical $conn -Cell bench $repo $opts | Out-Null\"")
    stored=$(du -sb "$work/repo/backups" | cut -f1)
    python3 -c "c = $u + $s - $startup; print(f'Backup-MySqlPhysical $codec: wall {$w:.2f} s, CPU {c:.2f} s = {c/($bytes/1e9):.2f} CPU-s/GB, stored {$stored/1e6:.0f} MB ({$stored/$bytes:.3f} of the stream)')"
  done
fi

if want physrestore; then
  echo "== Restore-MySqlPhysical (new data directory, proven on a temporary server) vs mbstream -x + mariadb-backup --prepare + --copy-back =="
  bash -c "$reset" >/dev/null; bash -c "$physical"
  mariadb-backup --defaults-extra-file="$work/my.cnf" --backup --stream=mbstream --target-dir="$work/gz" 2>/dev/null > "$work/plain.mbs"
  clean="rm -rf '$work/r-base' '$work/r-base.x' '$work/r-bt' '$work/r-bt'.bt-*"
  "$here/harness.sh" -n "$runs" -p "$clean" -l "mbstream -x + prepare + copy-back" \
    -b "mkdir -p '$work/r-base.x' && mbstream -x -C '$work/r-base.x' < '$work/plain.mbs' && mariadb-backup --no-defaults --prepare --target-dir='$work/r-base.x' 2>/dev/null && mariadb-backup --no-defaults --copy-back --target-dir='$work/r-base.x' --datadir='$work/r-base' 2>/dev/null" \
    -L "Restore-MySqlPhysical" -c "$bt -Command \"Restore-MySqlPhysical '$work/r-bt' -Cell bench $repo -Confirm:\\\$false | Out-Null\""
  bash -c "$clean"; rm -f "$work/plain.mbs"
fi

if want restore; then
  # A dump, then writes for a few seconds (archived), then restore to a second in the middle of them, vs the dump alone.
  echo "== Restore-MySql -BinlogCell -At (dump + replay) vs Restore-MySql (the dump alone), into a new database =="
  bash -c "$reset" >/dev/null
  bash -c "$bt -Command \"$cred Backup-MySql -Database bench $conn $repo | Out-Null\""
  for i in $(seq 1 ${REPLAY_TX:-20000}); do echo "insert into bench.events(at, customer, note, amount) values (now(6), 'replay', md5($i), $i);"; done | $my
  sleep 1.1; at=$(date -u +%Y-%m-%dT%H:%M:%SZ); sleep 1.2 # the target: a whole second after the last replayed commit
  $my -e "insert into bench.events(at, customer, note, amount) values (now(6), 'after', 'after', 0)"
  bash -c "$bt -Command \"$cred Push-MySqlBinlog '$work/spool' -Cell bench-binlog $conn $repo | Out-Null\""
  drop="$my -e 'drop database if exists bench_r'"
  "$here/harness.sh" -n "$runs" -p "$drop" -l "Restore-MySql (dump alone)" \
    -b "$bt -Command \"$cred Restore-MySql -Database bench -TargetDatabase bench_r -SkipSafetyBackup $conn $repo -Confirm:\\\$false | Out-Null\"" \
    -L "Restore-MySql -BinlogCell -At" \
    -c "$bt -Command \"$cred Restore-MySql -Database bench -At '$at' -BinlogCell bench-binlog -TargetDatabase bench_r -SkipSafetyBackup $conn $repo -Confirm:\\\$false | Out-Null\""
  echo "rows after the point-in-time restore: $($my -N -e "select count(*) from bench_r.events where customer in ('replay','after')") replayed (want ${REPLAY_TX:-20000}, the 'after' row excluded)"
  bash -c "$drop"
fi

if want rpo; then
  rpo_secs=${RPO_SECONDS:-60} rate=${WRITES_PER_SEC:-100}
  echo "== binlog RPO under ${rate} commits/s for ${rpo_secs}s: Push-MySqlBinlog -Watch -IntervalSec 1 =="
  rm -rf "$work/repo" "$work/spool"; $bt -Command "Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null"
  setsid bash -c "$bt -Command \"$cred Push-MySqlBinlog '$work/spool' -Watch -IntervalSec 1 -Cell bench-rpo $conn $repo -StartFile $($my -N -e 'show binary logs' | tail -1 | cut -f1) | Out-Null\"" >"$work/push.log" 2>&1 &
  push_pid=$!
  sleep 8 # the archiver is up
  ( end=$((SECONDS + rpo_secs)); while [ $SECONDS -lt $end ]; do
      for _ in $(seq 1 $((rate / 10))); do echo "insert into bench.events(at, customer, note, amount) values (now(6), 'load', md5(rand()), 1);"; done; sleep 0.1
    done ) | $my &
  load=$!
  : > "$work/samples"
  end=$((SECONDS + rpo_secs))
  while [ $SECONDS -lt $end ]; do echo "$(date +%s.%N) $($my -N -e 'select @@gtid_binlog_pos')" >> "$work/samples"; sleep 1; done
  wait $load
  sleep 10 # the last samples get their chance to arrive
  kill -INT -- -$push_pid 2>/dev/null || true; sleep 3; kill -KILL -- -$push_pid 2>/dev/null || true
  rpo_report bench-rpo
fi
if want throughput; then
  mbps=${BINLOG_MB_PER_SEC:-20} secs=${THROUGHPUT_SECONDS:-45}
  per_tick=$(( (mbps * 16 + 9) / 10 )) # 64 KiB rows per 0.1 s tick: 16 rows per MB
  echo "== binlog throughput: ${mbps} MB/s of 64 KiB rows for ${secs}s, Push-MySqlBinlog -Watch -IntervalSec 1 =="
  # A pool of 1024 distinct incompressible 64 KiB blobs (64 MB: beyond zstd -1's window), copied row by row: ROW format logs each whole.
  if [ "$($my -N -e "select coalesce((select count(*) from bench.pool), 0)" 2>/dev/null || echo 0)" -lt 1024 ]; then
    blob="concat($(for _ in $(seq 1 64); do printf 'random_bytes(1024),'; done | sed 's/,$//'))"
    $my -e "set session sql_log_bin=0; drop table if exists bench.pool; create table bench.pool(id int primary key, b longblob not null) engine=InnoDB;
      insert into bench.pool select seq, $blob from seq_0_to_1023" bench
  fi
  $my -e "drop table if exists bench.big; create table bench.big(id bigint primary key auto_increment, b longblob not null) engine=InnoDB"
  rm -rf "$work/repo" "$work/spool"; $bt -Command "Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null"
  $my -e "flush binary logs"; first=$($my -N -e 'show binary logs' | tail -1 | cut -f1)
  setsid bash -c "$bt -Command \"$cred Push-MySqlBinlog '$work/spool' -Watch -IntervalSec 1 -Cell bench-tp $conn $repo -StartFile $first | Out-Null\"" >"$work/push.log" 2>&1 &
  push_pid=$!
  sleep 8
  binlog_bytes() { $my -N -e 'show binary logs' | awk -v f="$first" '$1 >= f { s += $2 } END { print s }'; }
  before=$(binlog_bytes); t0=$(date +%s.%N)
  # One transaction of per_tick rows every 0.1 s (a commit per row would measure the disk's fsync rate, not the archiver).
  ( start=$(date +%s%N); k=0; while [ $(( ($(date +%s%N) - start) / 1000000000 )) -lt "$secs" ]; do
      first_id=$(( (k * per_tick) % 1024 ))
      echo "insert into bench.big(b) select b from bench.pool where id >= $first_id and id < $((first_id + per_tick)) union all select b from bench.pool where id < $((first_id + per_tick - 1024));"
      k=$((k + 1))
      left=$(( start + k * 100000000 - $(date +%s%N) )); [ "$left" -gt 0 ] && sleep "0.$(printf '%09d' "$left")"
    done ) | $my &
  load=$!
  : > "$work/samples"
  end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do echo "$(date +%s.%N) $($my -N -e 'select @@gtid_binlog_pos')" >> "$work/samples"; sleep 1; done
  wait $load; t1=$(date +%s.%N); written=$(( $(binlog_bytes) - before ))
  # Until the archive holds everything written (or 120 s): how long the archiver needs to catch up.
  target=$($my -N -e 'select @@gtid_binlog_pos'); caught=""
  for _ in $(seq 1 240); do
    if python3 - "$work/repo" bench-tp "$target" <<'PY'
import glob, json, sys
repo, cell, target = sys.argv[1:]
seq = lambda g: max((int(p.split('-')[2]) for p in (g or '').split(',') if p.count('-') == 2), default=0)
top = max((seq(s.get('lastGtid')) for m in (json.load(open(p)) for p in glob.glob(f'{repo}/backups/*/manifest.json'))
           if m.get('cell') == cell and m.get('engine') == 'mysql-binlog' for s in m['engineInfo']['segments']), default=0)
sys.exit(0 if top >= seq(target) else 1)
PY
    then caught=$(date +%s.%N); break; fi
    sleep 0.5
  done
  # utime + stime (+ exited children's) of every process of the archiver's session, in clock ticks.
  cpu=$(for p in $(ps -s "$push_pid" -o pid=); do cat "/proc/$p/stat" 2>/dev/null; done | sed 's/.*) //' | awk -v hz="$(getconf CLK_TCK)" '{ s += $12 + $13 + $14 + $15 } END { print s / hz }')
  kill -INT -- -$push_pid 2>/dev/null || true; sleep 3; kill -KILL -- -$push_pid 2>/dev/null || true
  archived=$(python3 -c "
import glob, json
print(sum(s['end'] - s['start'] for m in (json.load(open(p)) for p in glob.glob('$work/repo/backups/*/manifest.json'))
          if m.get('cell') == 'bench-tp' and m.get('engine') == 'mysql-binlog' for s in m['engineInfo']['segments']))")
  python3 - "$written" "$archived" "$t0" "$t1" "${caught:-}" "$cpu" "$secs" <<'PY'
import sys
written, archived, t0, t1, caught, cpu, secs = sys.argv[1:]
written, archived, t0, t1, cpu = int(written), int(archived), float(t0), float(t1), float(cpu)
load = t1 - t0
print(f'written {written / 1e6:.0f} MB in {load:.1f} s = {written / 1e6 / load:.1f} MB/s of binlog; archived {archived / 1e6:.0f} MB; '
      + (f'archive caught up {float(caught) - t1:.1f} s after the load ended: {archived / 1e6 / (float(caught) - t0):.1f} MB/s sustained'
         if caught else 'archive did NOT catch up within 120 s'))
print(f'archiver CPU {cpu:.1f} s (runner + mariadb-binlog, whole run) = {cpu / max(archived / 1e9, 1e-9):.1f} CPU-s per GB archived')
PY
  rpo_report bench-tp
  $my -e "drop table if exists bench.big"
fi
echo "load after: $(uptime)"
