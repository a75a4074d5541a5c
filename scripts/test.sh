#!/usr/bin/env bash
# The test command (README, .ci/run): on a fresh Debian 12 machine with only the .NET SDK it installs what is
# missing — servers, promtool and cron (scripts/servers.sh install), pwsh 7.6.9 (a .NET tool) and Pester 6.2.0
# (NuGet) into .tools/ — starts the servers, builds, runs the xunit suite, then the Pester drills against the
# real servers (scripts/drills-ci.ps1), and ends with ONE line "N passed, N failed, N skipped" over both.
# Installs are skipped when already present. Extra arguments go to `dotnet test` (e.g. --filter …).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); cd "$root"
tools=$root/.tools
pwsh=$tools/pwsh/pwsh
pester=$tools/packages/pester/6.2.0/tools
results=$(mktemp -d)
summary="0 passed, 1 failed, 0 skipped"
# The DR site of the drills: its own PostgreSQL and MariaDB, in another state dir, on BT_DR_PG_PORT and
# BT_DR_MYSQL_PORT. Their defaults lie below Linux's ephemeral range (32768-60999): after the xunit run, a port
# next to the main ones may be held by a client socket or a test's server (a CI run lost its drills to that).
# When a port is taken anyway, the start is retried on the next ports. It never starts redis or S3.
dr_pg_port=${BT_DR_PG_PORT:-25433}; dr_my_port=${BT_DR_MYSQL_PORT:-23307}
dr_state=${BACKUPTOOLS_SERVERS_DIR:-$root/.servers}/dr-site
dr_servers() {
  env BACKUPTOOLS_SERVERS_DIR="$dr_state" BT_PG_PORT="$dr_pg_port" BT_MYSQL_PORT="$dr_my_port" \
    BT_REDIS_PORT=$(( ${BT_REDIS_PORT:-63799} + 1 )) BT_S3_PORT=$(( ${BT_S3_PORT:-49000} + 1 )) \
    BT_ONLY="postgres mariadb" scripts/servers.sh "$@"
}
dr_start() {
  for attempt in 1 2 3; do
    dr_servers start && return 0
    dr_servers stop >/dev/null 2>&1 || true
    echo "test: the DR site did not start on ports $dr_pg_port/$dr_my_port (attempt $attempt); trying the next ones"
    dr_pg_port=$((dr_pg_port + 10)); dr_my_port=$((dr_my_port + 10))
  done
  return 1
}

# The summary is printed last, after the servers are stopped, so it is always the final line.
finish() {
  dr_servers stop >/dev/null 2>&1 || true
  scripts/servers.sh stop >/dev/null 2>&1 || true
  scripts/rabbitmq.sh stop >/dev/null 2>&1 || true # started by the RabbitMQ tests themselves
  wait 2>/dev/null; echo "$summary"
}
trap finish EXIT
fail() { echo "test: $*" >&2; exit 1; }
start=$(date +%s)

scripts/servers.sh install || fail "installing servers failed"
if [ ! -x "$pwsh" ] || [ ! -d "$tools/pwsh/.store/powershell/7.6.9" ]; then
  echo "test: installing pwsh 7.6.9 into .tools/pwsh"
  rm -rf "$tools/pwsh"
  dotnet tool install --tool-path "$tools/pwsh" PowerShell --version 7.6.9 >/dev/null || fail "installing pwsh failed"
fi
if [ ! -f "$pester/Pester.psd1" ]; then
  echo "test: installing Pester 6.2.0 into .tools/packages"
  dotnet restore tools/pester/pester.csproj --packages "$tools/packages" -v q >/dev/null || fail "installing Pester failed"
fi

scripts/servers.sh start || fail "starting servers failed"
set -a; . "$(scripts/servers.sh env)"; set +a
echo "smoke: postgres $(PGPASSWORD=$BT_PG_PASSWORD psql -h "$BT_PG_HOST" -p "$BT_PG_PORT" -U "$BT_PG_USER" -d postgres -Atc 'show server_version')"
echo "smoke: mariadb $(MYSQL_PWD=$BT_MYSQL_PASSWORD mariadb --protocol=tcp -h "$BT_MYSQL_HOST" -P "$BT_MYSQL_PORT" -u "$BT_MYSQL_USER" -N -e 'select version()')"
echo "smoke: redis $(redis-cli -h "$BT_REDIS_HOST" -p "$BT_REDIS_PORT" ping)"
echo "smoke: s3 http $(curl -s -o /dev/null -w '%{http_code}' "$BT_S3_ENDPOINT/")"
echo "smoke: $("$pwsh" -NoProfile -Command '"pwsh $($PSVersionTable.PSVersion)"')"
echo "test: ready after $(( $(date +%s) - start )) s"

dotnet build BackupTools.sln -c Release -nologo -v q -clp:NoSummary || fail "the build failed"
env -u BT_PG_PASSWORD -u BT_MYSQL_PASSWORD dotnet test BackupTools.sln -c Release --no-build --logger "trx;LogFileName=results.trx" --results-directory "$results" "$@"
status=$?
trx=$(find "$results" -name '*.trx' | head -n 1)
[ -n "$trx" ] || fail "no test results were produced, exit code $status"
counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
count() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
passed=$(count passed); failed=$(count failed); skipped=$(count notExecuted)
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=$((failed + 1))
summary="$passed passed, $failed failed, $skipped skipped"
echo "test: xunit $summary after $(( $(date +%s) - start )) s"

# The drills, as an operator runs them: the module and Pester installed by name on PSModulePath.
drill_out=$results/drills.log; : > "$drill_out"
if dr_start; then
  modules=$tools/modules
  rm -rf "$modules"; mkdir -p "$modules/BackupTools"
  cp -r BackupTools.psd1 module "$modules/BackupTools/" && ln -s "$pester" "$modules/Pester"
  dr_env=$(dr_servers env)
  dr() { grep "^$1=" "$dr_env" | cut -d= -f2-; }
  env PSModulePath="$modules" BT_DR_PG_PORT="$(dr BT_PG_PORT)" BT_DR_PG_PASSWORD="$(dr BT_PG_PASSWORD)" \
    BT_DR_MYSQL_PORT="$(dr BT_MYSQL_PORT)" BT_DR_MYSQL_PASSWORD="$(dr BT_MYSQL_PASSWORD)" \
    "$pwsh" -NoProfile -NonInteractive -File scripts/drills-ci.ps1 -Pwsh "$pwsh" -WorkDirectory "$results/drills" \
    -ResultsDirectory "${BACKUPTOOLS_DRILL_RESULTS:-$results}" 2>&1 | tee "$drill_out"
else
  echo "test: the DR site's servers did not start; the drills did not run"
fi
drills=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$drill_out" | tail -n 1)
[ -n "$drills" ] || drills="0 passed, 1 failed, 0 skipped"
echo "test: drills $drills (JUnit reports: ${BACKUPTOOLS_DRILL_RESULTS:-$results}/drill-*.xml)"
read -r d_passed _ d_failed _ d_skipped _ <<<"$drills"
passed=$((passed + d_passed)); failed=$((failed + d_failed)); skipped=$((skipped + d_skipped))
summary="$passed passed, $failed failed, $skipped skipped"
echo "test: finished after $(( $(date +%s) - start )) s"
[ "$failed" -eq 0 ]
