#!/usr/bin/env bash
# Benchmark (issue 19): seven dailies of a PostgreSQL database growing 1 %/day (appended rows) backed up into a
# BackupTools v1 repository, a v2 (chunked, deduplicated) repository and restic 0.14, side by side in one run; then
# 1 % of rows updated in place, clustered (one id range) and scattered (random ids). Prints, per day, each
# backup's wall time against bare `pg_dump -Fc -Z0 > /dev/null` of the same state, and the repository sizes as a
# multiple of one full; and CPU-seconds (user+sys) per run: the command's own with every process it waited for
# (pg_dump included) plus the server backends' (reaped by the postmaster, read from /proc) — unlike wall time,
# that does not depend on what else the host runs. Uses the test PostgreSQL of scripts/servers.sh (BT_PG_PORT…) and the realistic text data of
# bench/backup-postgres.sh.
# usage: bench/dedup-postgres.sh [ROWS=1000000] [DAYS=7]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
rows=${1:-1000000}; days=${2:-7}
work=${BENCH_DIR:-/tmp/bt-bench-dedup-${BT_PG_PORT:-default}}; rm -rf "$work"; mkdir -p "$work"
"$root/scripts/servers.sh" start >/dev/null
set -a; . "$("$root/scripts/servers.sh" env)"; set +a
export PGHOST=$BT_PG_HOST PGPORT=$BT_PG_PORT PGUSER=$BT_PG_USER PGPASSWORD=$BT_PG_PASSWORD
bin=$BT_PG_BIN; db=bt_bench_dedup
command -v restic >/dev/null || { echo "restic is required (apt-get install restic)" >&2; exit 1; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"
echo "load at start: $(uptime)"

word="left(md5(((random()*5000)::int)::text), 3 + (random()*6)::int)"
row_sql() { # first last -> INSERT … SELECT of realistic rows (text, ids, JSON), like bench/backup-postgres.sh's text data
  cat <<SQL
insert into events
select g, now() - (random() * interval '900 days'), round((random() * 100000)::numeric, 2), random(),
  'cust-' || (random()*200000)::int,
  concat_ws(' ', $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word),
  jsonb_build_object('ip', concat_ws('.', (random()*255)::int, (random()*255)::int, (random()*255)::int, (random()*255)::int),
    'ua', (array['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'curl/8.5.0', 'okhttp/4.12.0'])[1 + (random()*3)::int],
    'session', md5(random()::text), 'status', (array['paid', 'pending', 'refunded', 'failed'])[1 + (random()*3)::int], 'ok', random() > 0.5)
from generate_series($1, $2) g;
SQL
}
echo "generating $rows rows in $db…" >&2
"$bin/psql" -qc "drop database if exists $db" postgres; "$bin/psql" -qc "create database $db" postgres
"$bin/psql" -qc "create table events(id bigint primary key, at timestamptz, amount numeric(14,2), score double precision, customer text, note text, payload jsonb)" $db
row_sql 1 "$rows" | "$bin/psql" -q $db
"$bin/psql" -qc "vacuum analyze events" $db

$bt -Command "New-BackupKey -Path '$work/key' | Out-Null; Initialize-BackupRepository -Format v1 -Path '$work/v1' | Out-Null; Initialize-BackupRepository -Path '$work/v2' -Format v2 | Out-Null"
export RESTIC_PASSWORD=bench-only-password RESTIC_CACHE_DIR=$work/restic-cache
restic -r "$work/restic" init --repository-version 2 -q >/dev/null

seconds() { local s e; s=$(date +%s.%N); bash -c "$1" >/dev/null; e=$(date +%s.%N); awk "BEGIN { printf \"%.2f\", $e - $s }"; }
postmaster=$(head -1 "$("$bin/psql" -Atc "show data_directory" postgres)/postmaster.pid")
server_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($16 + $17) / hz }' "/proc/$postmaster/stat"; }
timed() { # command -> "wall cpu rss_mb": cpu = user+sys of the command and what it waited for + the backends it used
  local s0 s1 out
  sleep 1.5; s0=$(server_cpu) # a backend of the command before (the size probe's pg_dump) must be reaped and counted first
  out=$( { /usr/bin/time -f "%e %U %S %M" bash -c "$1" >/dev/null; } 2>&1 | tail -1 )
  sleep 1.5; s1=$(server_cpu) # the postmaster reaps a backend shortly after its client is gone
  echo "$out" | awk -v s="$(awk "BEGIN { print $s1 - $s0 }")" '{ printf "%.2f %.2f %d", $1, $2 + $3 + s, $4 / 1024 }'
}
size() { du -sb "$1" | cut -f1; }
mb() { awk "BEGIN { printf \"%.1f\", $1 / 1048576 }"; }
bt_backup() { echo "$bt -Command \"Backup-Postgres -Database $db -Server $PGHOST -Port $PGPORT -Repository '$work/$1' -KeyFile '$work/key' | Out-Null\""; }
restic_backup="$bin/pg_dump -Fc -Z0 $db | restic -r '$work/restic' backup -q --stdin --stdin-filename $db.dump"

printf '%-26s %8s %8s %8s %8s %8s | %9s %9s %9s %9s | %8s %8s %8s %9s\n' day "dump MB" "bare s" "v1 s" "v2 s" "restic s" "v1 MB" "v2 MB" "restic MB" "v2 new MB" "bare cpu" "v1 cpu" "v2 cpu" "v2 RSS MB"
declare -A full
day_run() { # label
  local dump bare t1 t2 tr before b1 r1 r2
  dump=$("$bin/pg_dump" -Fc -Z0 $db | wc -c)
  read -r bare cb _ <<< "$(timed "$bin/pg_dump -Fc -Z0 $db > /dev/null")"
  read -r t1 c1 _ <<< "$(timed "$(bt_backup v1)")"
  before=$(size "$work/v2")
  read -r t2 c2 r2 <<< "$(timed "$(bt_backup v2)")"
  tr=$(seconds "$restic_backup")
  printf '%-26s %8s %8s %8s %8s %8s | %9s %9s %9s %9s | %8s %8s %8s %9s\n' "$1" "$(mb "$dump")" "$bare" "$t1" "$t2" "$tr" \
    "$(mb "$(size "$work/v1")")" "$(mb "$(size "$work/v2")")" "$(mb "$(size "$work/restic")")" "$(mb $(( $(size "$work/v2") - before )))" "$cb" "$c1" "$c2" "$r2"
  if [ -z "${full[v1]:-}" ]; then full[v1]=$(size "$work/v1"); full[v2]=$(size "$work/v2"); full[restic]=$(size "$work/restic"); fi
  echo "$bare $t1 $t2 $tr" >> "$work/times"
  echo "$cb $c1 $c2" >> "$work/cpu"
}
ratios() { # label
  printf '%s: stored / one full — v1 %.3fx, v2 %.3fx, restic %.3fx\n' "$1" \
    "$(awk "BEGIN { print $(size "$work/v1") / ${full[v1]} }")" "$(awk "BEGIN { print $(size "$work/v2") / ${full[v2]} }")" "$(awk "BEGIN { print $(size "$work/restic") / ${full[restic]} }")"
}

next=$((rows + 1))
for d in $(seq 1 "$days"); do
  if [ "$d" -gt 1 ]; then
    add=$((rows / 100)); row_sql "$next" $((next + add - 1)) | "$bin/psql" -q $db; next=$((next + add))
  fi
  day_run "daily $d (+1 % appended)"
done
ratios "after $days dailies"
wall() { awk -v c="$1" '{ b += $1; x += $(c) } END { printf "%.3f", x / b }' "$work/times"; }
printf 'backup wall / bare pg_dump over the dailies (sums, runner start-up included): v1 %sx, v2 %sx, restic %sx\n' "$(wall 2)" "$(wall 3)" "$(wall 4)"
first() { head -1 "$work/times" | awk -v c="$1" '{ printf "%.3f", $(c) / $1 }'; }
printf 'first backup wall / bare pg_dump: v1 %sx, v2 %sx, restic %sx\n' "$(first 2)" "$(first 3)" "$(first 4)"
repeat() { sed -n 2,\$p "$work/times" | awk -v c="$1" '{ b += $1; x += $(c) } END { printf "%.3f", x / b }'; }
printf 'repeat (1 %%-change) backups wall / bare pg_dump: v1 %sx, v2 %sx, restic %sx\n' "$(repeat 2)" "$(repeat 3)" "$(repeat 4)"
cpu() { sed -n "$1" "$work/cpu" | awk '{ b += $1; v1 += $2; v2 += $3; n++ } END { printf "bare %.2f, v1 %.2f, v2 %.2f CPU-s per run (v1 %.3fx, v2 %.3fx bare)", b / n, v1 / n, v2 / n, v1 / b, v2 / b }'; }
echo "CPU-seconds (user+sys, client + server backends), first backup: $(cpu 1p)"
echo "CPU-seconds, repeat (1 %-change) backups: $(cpu 2,\$p)"

"$bin/psql" -qc "update events set note = note || ' upd', amount = amount + 1 where id between $((rows / 2)) and $((rows / 2 + next / 100))" $db
day_run "1 % updated, clustered"
"$bin/psql" -qc "update events set note = note || ' upd', amount = amount + 1 where id in (select (random() * $next)::bigint from generate_series(1, $((next / 100))))" $db
day_run "1 % updated, scattered"
ratios "after the updates"

echo "restore of the last backup (wall s): bare pg_restore of a plain dump vs Restore-Postgres v1 / v2 vs restic dump | pg_restore"
"$bin/pg_dump" -Fc -Z0 $db > "$work/plain.dump"
drop() { "$bin/psql" -qc "drop database if exists ${db}_r" postgres; }
drop; tb=$(seconds "$bin/createdb ${db}_r && $bin/pg_restore -d ${db}_r '$work/plain.dump'"); drop; rm -f "$work/plain.dump"
restore() { echo "$bt -Command \"Restore-Postgres -Database $db -TargetDatabase ${db}_r -Server $PGHOST -Port $PGPORT -Repository '$work/$1' -KeyFile '$work/key' -Confirm:\\\$false | Out-Null\""; }
t1=$(seconds "$(restore v1)"); drop
t2=$(seconds "$(restore v2)"); drop
tr=$(seconds "$bin/createdb ${db}_r && restic -r '$work/restic' dump -q latest $db.dump | $bin/pg_restore -d ${db}_r"); drop
echo "restore: bare $tb s, v1 $t1 s, v2 $t2 s, restic $tr s"
echo "load at end: $(uptime)"
"$bin/psql" -qc "drop database if exists $db" postgres
rm -rf "$work"
