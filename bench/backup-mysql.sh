#!/usr/bin/env bash
# Benchmark: Backup-MySql (zstd + AES-256-GCM + SHA-256, via the runner, start-up included) vs
#   (a) the usual cron pipeline `mysqldump --single-transaction --routines --triggers | gzip > file`, and
#   (b) bare `mariadb-dump --single-transaction > /dev/null`, (c) `mariadb-dump | zstd -1` (the native floor); plus Restore-MySql vs `mysql < dump` (new database).
#   Section floor: the native floor itself (binary session) against the bare dump, no BackupTools involved.
# Uses a private database (bt_bench_my) on the shared MariaDB described by servers.json
# ($BACKUPTOOLS_SERVERS_DIR or <repo>/.servers). The password goes to the tools in a 0600 defaults file
# and to the runner in a 0600 file it reads itself — never on a command line.
# usage: [BENCH_DATA=text|random] bench/backup-mysql.sh [ROWS=2000000] [RUNS=3] [SECTIONS=all|gzip,bare,native,floor,restore]
#   BENCH_DATA=text (default, database bt_bench_my_text): words from a 35k vocabulary, user agents, statuses, random ids,
#     IPs, amounts, timestamps and session hashes — compresses ~3-4:1 like the reference data in
#     ../shared/design/performance.md. BENCH_DATA=random (database bt_bench_my): every text field is hex/base64 of
#     random bytes (~1.9:1), the worst case for the compression stage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
rows=${1:-2000000}; runs=${2:-3}
sections=${3:-all}
want() { [ "$sections" = all ] || [[ ",$sections," == *",$1,"* ]]; }

work=${BENCH_DIR:-/tmp/bt-bench-my}; mkdir -p "$work"; chmod 700 "$work"
servers=${BACKUPTOOLS_SERVERS_DIR:-$root/.servers}/servers.json
data=${BENCH_DATA:-text}
case $data in
  random) db=bt_bench_my
    customer="md5(rand())"
    note="concat(to_base64(random_bytes(45)), ' ', to_base64(random_bytes(30)))"
    extra="'ua', md5(rand()), 'tags', json_array(md5(rand()), floor(rand()*1000))" ;;
  text) db=bt_bench_my_text
    word="left(md5(floor(rand() * 5000)), 3 + floor(rand() * 6))"
    customer="concat('cust-', floor(rand() * 200000))"
    note="concat_ws(' ', $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word)"
    extra="'ua', elt(1 + floor(rand() * 6), 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Mobile/15E148', 'curl/8.5.0', 'okhttp/4.12.0'),
      'session', md5(rand()), 'status', elt(1 + floor(rand() * 4), 'paid', 'pending', 'refunded', 'failed'), 'tags', json_array($word, $word)" ;;
  *) echo "BENCH_DATA must be text or random" >&2; exit 64 ;;
esac
command -v zstd >/dev/null || { echo "the zstd CLI is needed for the native baseline: apt-get install zstd" >&2; exit 1; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"

# Connection: defaults file for mariadb/mariadb-dump/mysqldump, password file for the runner.
trap 'rm -f "$work/my.cnf" "$work/pw"' EXIT
( umask 077; python3 - "$servers" "$work" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["mysql"]
esc = m["password"].replace("\\", "\\\\").replace('"', '\\"')
open(sys.argv[2] + "/my.cnf", "w").write(f'[client]\nhost={m["host"]}\nport={m["port"]}\nuser={m["user"]}\npassword="{esc}"\n')
open(sys.argv[2] + "/pw", "w").write(m["password"])
open(sys.argv[2] + "/target", "w").write(f'{m["host"]} {m["port"]} {m["user"]}\n')
PY
)
read -r host port user < "$work/target"
my="mariadb --defaults-extra-file=$work/my.cnf"
dump="mariadb-dump --defaults-extra-file=$work/my.cnf"
# The runner builds its credential from the password file (PowerShell variables, not argv).
cred="\\\$c = [pscredential]::new('$user', [Net.NetworkCredential]::new('', [IO.File]::ReadAllText('$work/pw')).SecurePassword);"
conn="-Server $host -Port $port -Credential \\\$c"

if [ "$($my -Nse "select count(*) from information_schema.schemata where schema_name='$db'")" = 0 ] || \
   [ "$($my -Nse "select coalesce(max(id),0) from $db.events" 2>/dev/null)" != "$rows" ]; then
  echo "generating $rows rows of $data data in $db…" >&2
  $my -e "drop database if exists $db; create database $db character set utf8mb4"
  $my "$db" <<SQL
create table events(id bigint primary key, at datetime(6), amount decimal(14,2), score double,
  customer char(32), note varchar(200), payload json) engine=InnoDB;
create table customers(id int primary key, name varchar(100), email varchar(100), country char(2)) engine=InnoDB;
create view big_spenders as select customer, sum(amount) total from events group by customer having total > 90000;
create trigger events_score before insert on events for each row set new.score = coalesce(new.score, 0);
insert into customers select seq, concat('Customer ', to_base64(random_bytes(12))), concat(md5(rand()), '@example.com'),
  elt(1 + floor(rand() * 5), 'DE', 'FR', 'US', 'JP', 'BR') from seq_1_to_100000;
SQL
  batch=250000
  for ((from = 1; from <= rows; from += batch)); do
    to=$(( from + batch - 1 < rows ? from + batch - 1 : rows ))
    $my "$db" -e "insert into events
      select seq, now(6) - interval floor(rand() * 77760000) second, round(rand() * 100000, 2), rand(), $customer,
        $note,
        json_object('ip', concat_ws('.', floor(rand()*255), floor(rand()*255), floor(rand()*255), floor(rand()*255)),
          $extra, 'ok', rand() > 0.5)
      from seq_${from}_to_${to}"
  done
  $my "$db" -Nse "analyze table events, customers" >/dev/null
  $my -Nse "select concat(round(sum(data_length + index_length) / 1048576), ' MB in InnoDB') from information_schema.tables where table_schema = '$db'" >&2
fi
[ -f "$work/bench.key" ] || $bt -Command "New-BackupKey -Path '$work/bench.key' | Out-Null"
reset="rm -rf '$work/out.sql.gz' '$work/repo'; $bt -Command \"Initialize-BackupRepository -Format v1 -Path '$work/repo' -Compression zstd | Out-Null\""
candidate="$bt -Command \"$cred Backup-MySql -Database $db $conn -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null\""

if want gzip; then
echo "== Backup-MySql vs mysqldump --single-transaction --routines --triggers | gzip (the usual cron job) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "mysqldump ... | gzip" -b "mysqldump --defaults-extra-file=$work/my.cnf --single-transaction --routines --triggers $db | gzip > '$work/out.sql.gz'" -o "$work/out.sql.gz" \
  -L "Backup-MySql zstd+AES" -c "$candidate" -O "$work/repo"
fi
echo
if want bare; then
echo "== Backup-MySql vs bare mariadb-dump --single-transaction > /dev/null (the producer's own speed) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "mariadb-dump > /dev/null" -b "$dump --single-transaction $db > /dev/null" \
  -L "Backup-MySql zstd+AES" -c "$candidate" -O "$work/repo"
fi
echo
if want native; then
# The floor for any compressing pipeline on this machine: the native zstd CLI at level 1 (the cheapest level
# that stays no larger than gzip here), with no encryption or hashing at all.
echo "== Backup-MySql vs mariadb-dump | zstd -1 (native CLI, no encryption or hashing: the compression floor) =="
"$here/harness.sh" -n "$runs" -p "$reset" -l "mariadb-dump | zstd -1 -T1" -b "$dump --single-transaction $db | zstd -1 -T1 -q > '$work/out.sql.zst'" -o "$work/out.sql.zst" \
  -L "Backup-MySql zstd+AES" -c "$candidate" -O "$work/repo"
rm -f "$work/out.sql.zst"
fi
echo
if want floor; then
# How far any compressing pipeline is from the bare dump on this host: the native floor (with the same binary
# session Backup-MySql uses for utf8/ascii databases, which makes the dump tool cheaper) against the bare dump.
echo "== native floor (binary session) mariadb-dump --default-character-set=binary | zstd -1 vs bare mariadb-dump > /dev/null =="
"$here/harness.sh" -n "$runs" -p "rm -f '$work/out.sql.zst'" -l "mariadb-dump > /dev/null" -b "$dump --single-transaction $db > /dev/null" \
  -L "mariadb-dump --default-character-set=binary | zstd -1 -T1" -c "$dump --single-transaction --default-character-set=binary $db | zstd -1 -T1 -q > '$work/out.sql.zst'" -O "$work/out.sql.zst"
rm -f "$work/out.sql.zst"
fi
echo
if want restore; then
echo "== Restore-MySql vs mysql < dump (into a new database) =="
eval "$reset"
bash -c "$bt -Command \"$cred Backup-MySql -Database $db $conn -Repository '$work/repo' -KeyFile '$work/bench.key' | Out-Null\""
$dump --single-transaction --routines --triggers --events --hex-blob $db > "$work/plain.sql"
dropdbs="$my -e 'drop database if exists ${db}_r1; drop database if exists ${db}_r2'"
"$here/harness.sh" -n "$runs" -p "$dropdbs" -l "create database + mysql < dump" -b "$my -e 'create database ${db}_r1' && $my ${db}_r1 < '$work/plain.sql'" \
  -L "Restore-MySql" -c "$bt -Command \"$cred Restore-MySql -Database $db -TargetDatabase ${db}_r2 $conn -Repository '$work/repo' -KeyFile '$work/bench.key' -Confirm:\\\$false | Out-Null\""
eval "$dropdbs"; rm -f "$work/plain.sql" "$work/out.sql.gz"
fi
