#!/usr/bin/env bash
# Benchmark: Backup-Postgres (zstd + AES-256-GCM + SHA-256, via the runner, start-up included) vs
#   (a) the usual cron pipeline `pg_dump -Fc | gzip > file`, and (b) bare `pg_dump -Fc -Z0 > /dev/null`;
# plus Restore-Postgres vs bare pg_restore. Uses the test PostgreSQL from scripts/servers.sh.
# usage: [BENCH_DATA=text|random] bench/backup-postgres.sh [ROWS=4000000] [RUNS=3] [SECTIONS=all|gzip,bare,native,restore]
#   BENCH_DATA=text (default, database bt_bench_text): words from a 35k vocabulary, user agents, statuses, random ids,
#     IPs, amounts, timestamps and session hashes — compresses ~3-4:1 like the reference data set in
#     ../shared/design/performance.md (1.32 GB dump -> 344 MB). BENCH_DATA=random (database bt_bench): every text
#     field is hex/base64 of random bytes (~1.8:1), the worst case for the compression stage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
rows=${1:-4000000}; runs=${2:-3}
sections=${3:-all}
want() { [ "$sections" = all ] || [[ ",$sections," == *",$1,"* ]]; }

work=${BENCH_DIR:-/tmp/bt-bench-pg}; mkdir -p "$work"
"$root/scripts/servers.sh" start >/dev/null
set -a; . "$("$root/scripts/servers.sh" env)"; set +a
export PGHOST=$BT_PG_HOST PGPORT=$BT_PG_PORT PGUSER=$BT_PG_USER PGPASSWORD=$BT_PG_PASSWORD
bin=$BT_PG_BIN
data=${BENCH_DATA:-text}
case $data in
  random) db=bt_bench
    customer="md5(random()::text)"
    note="encode(decode(md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 'hex'), 'base64')"
    extra="'ua', md5(random()::text), 'tags', jsonb_build_array(md5(random()::text), (random()*1000)::int)" ;;
  text) db=bt_bench_text
    word="left(md5(((random()*5000)::int)::text), 3 + (random()*6)::int)"
    customer="'cust-' || (random()*200000)::int"
    note="concat_ws(' ', $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word)"
    extra="'ua', (array['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148', 'curl/8.5.0', 'okhttp/4.12.0'])[1 + (random()*5)::int],
      'session', md5(random()::text), 'status', (array['paid', 'pending', 'refunded', 'failed'])[1 + (random()*3)::int], 'tags', jsonb_build_array($word, $word)" ;;
  *) echo "BENCH_DATA must be text or random" >&2; exit 64 ;;
esac
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"

if [ "$("$bin/psql" -Atc "select count(*) from pg_database where datname='$db'" postgres)" = 0 ] || \
   [ "$("$bin/psql" -Atc "select coalesce(max(id),0) from events" $db 2>/dev/null)" != "$rows" ]; then
  echo "generating $rows rows of $data data in $db…" >&2
  "$bin/psql" -qc "drop database if exists $db" postgres; "$bin/psql" -qc "create database $db" postgres
  "$bin/psql" -q $db <<SQL
create table events(id bigint primary key, at timestamptz, amount numeric(14,2), score double precision,
  customer text, note text, payload jsonb);
insert into events
select g, now() - (random() * interval '900 days'), round((random() * 100000)::numeric, 2), random(),
  $customer, $note,
  jsonb_build_object('ip', concat_ws('.', (random()*255)::int, (random()*255)::int, (random()*255)::int, (random()*255)::int),
    $extra, 'ok', random() > 0.5)
from generate_series(1, $rows) g;
SQL
  "$bin/psql" -Atc "select pg_size_pretty(pg_database_size('$db'))" postgres >&2
fi
[ -f "$work/bench.key" ] || $bt -Command "New-BackupKey -Path '$work/bench.key' | Out-Null"
reset="rm -rf '$work/out.dump.gz' '$work/repo'; $bt -Command \"Initialize-BackupRepository -Format v1 -Path '$work/repo' | Out-Null\""
candidate="$bt -Command \"Backup-Postgres -Database $db -Server $PGHOST -Port $PGPORT -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null\""

if want gzip; then
echo "== Backup-Postgres vs pg_dump -Fc | gzip (the usual cron job) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "pg_dump -Fc | gzip" -b "$bin/pg_dump -Fc $db | gzip > '$work/out.dump.gz'" -o "$work/out.dump.gz" \
  -L "Backup-Postgres zstd+AES" -c "$candidate" -O "$work/repo"
fi
echo
if want bare; then
echo "== Backup-Postgres vs bare pg_dump -Fc -Z0 > /dev/null (the producer's own speed) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "pg_dump -Fc -Z0 > /dev/null" -b "$bin/pg_dump -Fc -Z0 $db > /dev/null" \
  -L "Backup-Postgres zstd+AES" -c "$candidate" -O "$work/repo"
fi
echo
if want native; then
# The floor for any compressing pipeline here: the native zstd CLI at level 1, no encryption or hashing.
echo "== Backup-Postgres vs pg_dump -Fc -Z0 | zstd -1 (native CLI, no encryption or hashing: the compression floor) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "pg_dump -Fc -Z0 | zstd -1 -T1" -b "$bin/pg_dump -Fc -Z0 $db | zstd -1 -T1 -q > '$work/out.dump.zst'" -o "$work/out.dump.zst" \
  -L "Backup-Postgres zstd+AES" -c "$candidate" -O "$work/repo"
rm -f "$work/out.dump.zst"
fi
echo
if want restore; then
echo "== Restore-Postgres vs bare pg_restore (into a new database) =="
$bt -Command "Backup-Postgres -Database $db -Server $PGHOST -Port $PGPORT -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null"
"$bin/pg_dump" -Fc -Z0 $db > "$work/plain.dump"
dropdbs="$bin/psql -qc 'drop database if exists ${db}_r1' postgres; $bin/psql -qc 'drop database if exists ${db}_r2' postgres"
"$here/harness.sh" -n "$runs" -p "$dropdbs" -l "createdb + pg_restore" -b "$bin/createdb ${db}_r1 && $bin/pg_restore -d ${db}_r1 '$work/plain.dump'" \
  -L "Restore-Postgres" -c "$bt -Command \"Restore-Postgres -Database $db -TargetDatabase ${db}_r2 -Server $PGHOST -Port $PGPORT -Repository '$work/repo' -KeyFile '$work/bench.key' -Confirm:\\\$false | Out-Null\""
eval "$dropdbs"; rm -f "$work/plain.dump"
fi
