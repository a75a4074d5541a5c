#!/usr/bin/env bash
# Benchmark (issue 19): a simulated year of the operator documents' retention — dailies for two weeks, weeklies for
# two months, monthlies for a year (-KeepDaily 14 -KeepWeekly 8 -KeepMonthly 12) — on a PostgreSQL database growing
# 1 % of its first size per day (appended rows) with 0.2 % of rows updated per day among the newest 2 %. Every simulated day at
# 02:00 UTC: `pg_dump -Fc -Z0` through Backup-CommandOutput into a v1 repository (whole copies) and a v2 (chunked) repository, each followed by
# Invoke-BackupRetention with the policy; Optimize-BackupRepository (prune) on v2 every Sunday, as an operator's weekly
# maintenance job would; and the same for restic 0.14 (`restic backup --stdin --time`, `restic forget` with the same
# keep flags daily, `--prune` on Sundays). At the end: stored size of each repository against one full of the first
# and of the last day's data (a fresh repository each), after a last prune too, the backups kept and whether the
# three kept the same days.
#
# The clock: backups take their start time from the system clock, so the BackupTools process runs under libfaketime
# (Debian's `faketime` package), whose clock the script itself moves to each simulated day through a timestamp file;
# nothing in the product is changed or bypassed. (Backup-Postgres is not used: its Npgsql connection times out at once
# under libfaketime.) One runner process runs the whole year (a runner per day would spend
# most of the run starting .NET); child processes (pg_dump, psql, restic) run on the real clock.
# usage: bench/retention-year.sh [ROWS=20000] [DAYS=365]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
rows=${1:-20000}; days=${2:-365}
work=${BENCH_DIR:-/tmp/bt-bench-year-${BT_PG_PORT:-default}}; rm -rf "$work"; mkdir -p "$work"
faketime_lib=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1
[ -f "$faketime_lib" ] || { echo "libfaketime is required (apt-get install faketime)" >&2; exit 1; }
command -v restic >/dev/null || { echo "restic is required (apt-get install restic)" >&2; exit 1; }
"$root/scripts/servers.sh" start >/dev/null
set -a; . "$("$root/scripts/servers.sh" env)"; set +a
export PGHOST=$BT_PG_HOST PGPORT=$BT_PG_PORT PGUSER=$BT_PG_USER PGPASSWORD=$BT_PG_PASSWORD
bin=$BT_PG_BIN; db=${BENCH_DB:-bt_bench_year}
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
echo "load at start: $(uptime)"

word="left(md5(((random()*5000)::int)::text), 3 + (random()*6)::int)"
cat > "$work/rows.sql" <<SQL
insert into events
select g, now() - (random() * interval '900 days'), round((random() * 100000)::numeric, 2), random(),
  'cust-' || (random()*200000)::int,
  concat_ws(' ', $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word, $word),
  jsonb_build_object('ip', concat_ws('.', (random()*255)::int, (random()*255)::int, (random()*255)::int, (random()*255)::int),
    'ua', (array['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 'curl/8.5.0', 'okhttp/4.12.0'])[1 + (random()*3)::int],
    'session', md5(random()::text), 'status', (array['paid', 'pending', 'refunded', 'failed'])[1 + (random()*3)::int], 'ok', random() > 0.5)
from generate_series(:first, :last) g;
SQL
"$bin/psql" -qc "drop database if exists $db" postgres; "$bin/psql" -qc "create database $db" postgres
"$bin/psql" -qc "create table events(id bigint primary key, at timestamptz, amount numeric(14,2), score double precision, customer text, note text, payload jsonb)" $db
"$bin/psql" -q -v first=1 -v last="$rows" -f "$work/rows.sql" $db
"$bin/psql" -qc "vacuum analyze events" $db

export RESTIC_PASSWORD=bench-only-password RESTIC_CACHE_DIR=$work/restic-cache
cat > "$work/year.ps1" <<'PS'
param($work, $bin, $db, $rows, $days)
$ErrorActionPreference = "Stop"
trap { Write-Host $_.InvocationInfo.PositionMessage; break }
$env:LD_PRELOAD = $null   # children (pg_dump, psql, restic, du) on the real clock; this process keeps libfaketime
$start = [DateTimeOffset]::new(2025, 12, 1, 2, 0, 0, [TimeSpan]::Zero)   # a Monday; ends 2026-11-30
$keep = @{ KeepDaily = 14; KeepWeekly = 8; KeepMonthly = 12 }
$resticKeep = '--keep-daily 14 --keep-weekly 8 --keep-monthly 12'
$pg = @{ Cell = 'pg'; Command = "$bin/pg_dump -Fc -Z0 $db"; KeyFile = "$work/key" }   # the same stream restic gets
function Size($path) { [long](((& du -sb $path) -split '\s+')[0]) }
function MB($bytes) { '{0,8:N1}' -f ($bytes / 1MB) }
function SetClock($at) { # written aside and renamed: libfaketime rereads the file on every clock read
    [IO.File]::WriteAllText("$work/clock.new", '@' + $at.ToString('yyyy-MM-dd HH:mm:ss'))
    [IO.File]::Move("$work/clock.new", "$work/clock", $true)
    # libfaketime rereads the file at most once per real second even with FAKETIME_NO_CACHE: wait until it has.
    for ($i = 0; [DateTimeOffset]::UtcNow.Date -ne $at.Date; $i++) {
        if ($i -gt 50) { throw "the fake clock did not move to $at" }
        Start-Sleep -Milliseconds 200
    }
}
function ResticBackup($repo, $at) {
    & bash -c "$bin/pg_dump -Fc -Z0 $db | restic -r '$repo' backup -q --stdin --stdin-filename $db.dump --time '$($at.ToString('yyyy-MM-dd HH:mm:ss'))' >/dev/null"
    if ($LASTEXITCODE) { throw "restic backup failed" }
}
function Grow($first, $last) {
    & "$bin/psql" -q -v first=$first -v last=$last -f "$work/rows.sql" $db
    # Recent rows change (an order's status the days after it was placed): 0.2 % of the table, among the newest 2 %.
    $recent = [int]($last / 50)
    & "$bin/psql" -qc "update events set note = note || ' upd', amount = amount + 1 where id in (select $last - (random() * $recent)::bigint from generate_series(1, $([int]($last / 500))))" $db
}

SetClock $start
New-BackupKey -Path "$work/key" | Out-Null
Initialize-BackupRepository -Path "$work/v1" | Out-Null
Initialize-BackupRepository -Path "$work/v2" -Format v2 | Out-Null
& restic -r "$work/restic" init --repository-version 2 -q | Out-Null
'{0,-10} {1,-3} {2,8} | {3,8} {4,8} {5,8} | {6,4} {7,4} {8,4} | {9,7} {10,7}' -f 'day', 'dow', 'dump MB', 'v1 MB', 'v2 MB', 'restic MB', 'v1 #', 'v2 #', 'r #', 'day s', 'prune s'
$next = [int]$rows + 1; $add = [int]($rows / 100); $firstFull = @{}; $clock = [Diagnostics.Stopwatch]::new()
for ($d = 0; $d -lt $days; $d++) {
    $clock.Restart()
    $at = $start.AddDays($d)
    if ($d -gt 0) { Grow $next ($next + $add - 1); $next += $add }
    SetClock $at
    $counts = @{}
    foreach ($repo in 'v1', 'v2') {
        $backup = Backup-CommandOutput @pg -Repository "$work/$repo"
        if ($backup.StartedAt.UtcDateTime.Date -ne $at.UtcDateTime.Date) { throw "backup $($backup.Id) started at $($backup.StartedAt), not on $at" }
        $counts[$repo] = @(Invoke-BackupRetention -Repository "$work/$repo" @keep -Confirm:$false | Where-Object Keep).Count
    }
    ResticBackup "$work/restic" $at
    $sunday = $at.DayOfWeek -eq 'Sunday'
    $pruneSeconds = 0
    if ($sunday) {
        $p = [Diagnostics.Stopwatch]::StartNew()
        Optimize-BackupRepository -Repository "$work/v2" -KeyFile "$work/key" -Confirm:$false | Out-Null
        $pruneSeconds = $p.Elapsed.TotalSeconds
    }
    & bash -c "restic -r '$work/restic' forget -q $resticKeep $(if ($sunday) { '--prune' }) >/dev/null"
    if ($LASTEXITCODE) { throw "restic forget failed" }
    if ($d -eq 0) { $firstFull = @{ v1 = Size "$work/v1"; v2 = Size "$work/v2"; restic = Size "$work/restic" } }
    if ($sunday -or $d -eq 0 -or $d -eq $days - 1) { # a line a week (the measuring is not free on a loaded host)
        $sizes = @{ v1 = Size "$work/v1"; v2 = Size "$work/v2"; restic = Size "$work/restic" }
        $counts.restic = @(& restic -r "$work/restic" snapshots --json | ConvertFrom-Json).Count
        $dump = [long](& bash -c "$bin/pg_dump -Fc -Z0 $db | wc -c")
        '{0,-10} {1,-3} {2} | {3} {4} {5} | {6,4} {7,4} {8,4} | {9,7:N1} {10,7:N1}' -f $at.ToString('yyyy-MM-dd'), $at.DayOfWeek.ToString().Substring(0, 3), (MB $dump),
            (MB $sizes.v1), (MB $sizes.v2), (MB $sizes.restic), $counts.v1, $counts.v2, $counts.restic, $clock.Elapsed.TotalSeconds, $pruneSeconds
    }
}
$sizes = @{ v1 = Size "$work/v1"; v2 = Size "$work/v2"; restic = Size "$work/restic" }

# What was kept, by day: the three must agree (restic's forget is the reference for these rules).
$kept = @{
    v1 = @(Get-Backup -Repository "$work/v1" | ForEach-Object { $_.StartedAt.UtcDateTime.ToString('yyyy-MM-dd') } | Sort-Object)
    v2 = @(Get-Backup -Repository "$work/v2" | ForEach-Object { $_.StartedAt.UtcDateTime.ToString('yyyy-MM-dd') } | Sort-Object)
    restic = @(& restic -r "$work/restic" snapshots --json | ConvertFrom-Json | ForEach-Object { ([DateTimeOffset]$_.time).UtcDateTime.ToString('yyyy-MM-dd') } | Sort-Object)
}
"kept v1 ($($kept.v1.Count)): $($kept.v1 -join ' ')"
"kept v2 ($($kept.v2.Count)): $($kept.v2 -join ' ')"
"kept restic ($($kept.restic.Count)): $($kept.restic -join ' ')"
"same days kept: v1 = restic $(($kept.v1 -join ',') -eq ($kept.restic -join ',')), v2 = restic $(($kept.v2 -join ',') -eq ($kept.restic -join ','))"

# A last prune, so the end figure does not depend on the weekday the year ended on.
Optimize-BackupRepository -Repository "$work/v2" -KeyFile "$work/key" -Confirm:$false | Out-Null
& bash -c "restic -r '$work/restic' prune -q >/dev/null"
$pruned = @{ v1 = $sizes.v1; v2 = Size "$work/v2"; restic = Size "$work/restic" }

# One full of the last day's data, each in a fresh repository.
Initialize-BackupRepository -Path "$work/last-v1" | Out-Null
Initialize-BackupRepository -Path "$work/last-v2" -Format v2 | Out-Null
Backup-CommandOutput @pg -Repository "$work/last-v1" | Out-Null
Backup-CommandOutput @pg -Repository "$work/last-v2" | Out-Null
& restic -r "$work/last-restic" init --repository-version 2 -q | Out-Null
ResticBackup "$work/last-restic" $start.AddDays($days - 1)
$lastFull = @{ v1 = Size "$work/last-v1"; v2 = Size "$work/last-v2"; restic = Size "$work/last-restic" }

''
'{0,-40} {1,10} {2,10} {3,10}' -f '', 'v1', 'v2', 'restic 0.14'
foreach ($row in @(('one full of the first day (MB)', $firstFull, $null), ('one full of the last day (MB)', $lastFull, $null),
                   ('stored at the end (MB)', $sizes, $null), ('stored after a last prune (MB)', $pruned, $null),
                   ('  / one full of the first day', $pruned, $firstFull), ('  / one full of the last day', $pruned, $lastFull))) {
    $name, $a, $b = $row
    $cells = foreach ($k in 'v1', 'v2', 'restic') { if ($b) { '{0:N3}x' -f ($a[$k] / $b[$k]) } else { '{0:N1}' -f ($a[$k] / 1MB) } }
    '{0,-40} {1,10} {2,10} {3,10}' -f $name, $cells[0], $cells[1], $cells[2]
}
'{0,-40} {1,10} {2,10} {3,10}' -f 'backups kept', $kept.v1.Count, $kept.v2.Count, $kept.restic.Count
PS

echo "@2025-12-01 02:00:00" > "$work/clock"
LD_PRELOAD=$faketime_lib FAKETIME_TIMESTAMP_FILE=$work/clock FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 TZ=UTC \
  dotnet "$root/bin/runner/btrun.dll" -File "$work/year.ps1" "$work" "$bin" "$db" "$rows" "$days"
echo "load at end: $(uptime)"
"$bin/psql" -qc "drop database if exists $db" postgres
rm -rf "$work"
