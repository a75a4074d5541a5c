#!/usr/bin/env bash
# Benchmark (issue 19): a ~SIZE_GB cell (directory: large database-like files, media, a VM image, logs and many small
# files; bench/make-cell-data.py), a full backup, then about 1 % of its bytes changed (ranges overwritten inside large
# files, appends, small files rewritten and added, a few deleted), then a second backup — into a v1 repository
# (Backup-Cell -Type Incremental: changed files whole), a v2 (chunked) repository (-Type Incremental, then a Full as
# well: both deduplicate against what is stored) and restic 0.14 — side by side in one run. Prints the bytes each
# second backup added to its repository against the bytes changed. Sizes only; wall times are printed for reference.
# usage: bench/cell-change.sh [SIZE_GB=10]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
size=${1:-10}
work=${BENCH_DIR:-/tmp/bt-bench-cell-change}; rm -rf "$work"; mkdir -p "$work"
tree=$work/tree; key=$work/key
command -v restic >/dev/null || { echo "restic is required (apt-get install restic)" >&2; exit 1; }
[ -f "$root/bin/runner/btrun.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
bt="dotnet $root/bin/runner/btrun.dll"
export RESTIC_PASSWORD=bench-only-password RESTIC_CACHE_DIR=$work/restic-cache
echo "load at start: $(uptime)"

python3 "$here/make-cell-data.py" make "$tree" "$size"
echo "tree: $(du -sb "$tree" | cut -f1) bytes, $(find "$tree" -type f | wc -l) files"
$bt -Command "New-BackupKey -Path '$key' | Out-Null; Initialize-BackupRepository -Path '$work/v1' | Out-Null; Initialize-BackupRepository -Path '$work/v2' -Format v2 | Out-Null"
restic -r "$work/restic" init --repository-version 2 -q >/dev/null

bytes() { du -sb "$1" | cut -f1; }
mb() { awk "BEGIN { printf \"%.1f\", $1 / 1048576 }"; }
seconds() { local s e; s=$(date +%s.%N); bash -c "$1" >/dev/null; e=$(date +%s.%N); awk "BEGIN { printf \"%.1f\", $e - $s }"; }
cell() { echo "$bt -Command \"Backup-Cell -Name bench -Path '$tree' -Repository '$work/$1' -KeyFile '$key' -Type $2 | Out-Null\""; }
restic_backup="restic -r '$work/restic' backup -q '$tree'"
declare -A full added took
for repo in v1 v2 restic; do
  if [ $repo = restic ]; then took[$repo-full]=$(seconds "$restic_backup"); else took[$repo-full]=$(seconds "$(cell $repo Full)"); fi
  full[$repo]=$(bytes "$work/$repo")
  echo "full backup into $repo: $(mb "${full[$repo]}") MB stored, ${took[$repo-full]} s"
done

read -r total changed < <(python3 "$here/make-cell-data.py" change "$tree" | tail -1)
echo "changed: $changed of $total bytes ($(awk "BEGIN { printf \"%.2f\", 100 * $changed / $total }") %)"
second() { # name repo command
  local before; before=$(bytes "$work/$2")
  took[$1]=$(seconds "$3")
  added[$1]=$(( $(bytes "$work/$2") - before ))
  echo "$1: +$(mb "${added[$1]}") MB stored, ${took[$1]} s"
}
second "v1 incremental" v1 "$(cell v1 Incremental)"
second "v2 incremental" v2 "$(cell v2 Incremental)"
second "v2 full after it" v2 "$(cell v2 Full)"
second "restic" restic "$restic_backup"

echo
printf '%-22s %14s %14s %18s %10s\n' "second backup" "stored MB" "/ changed" "/ first full" "wall s"
for name in "v1 incremental" "v2 incremental" "v2 full after it" "restic"; do
  repo=${name%% *}
  printf '%-22s %14s %13.3fx %17.4fx %10s\n' "$name" "$(mb "${added[$name]}")" "$(awk "BEGIN { print ${added[$name]} / $changed }")" \
    "$(awk "BEGIN { print ${added[$name]} / ${full[$repo]} }")" "${took[$name]}"
done
printf '%-22s %14s\n' "bytes changed" "$(mb "$changed")"
echo "load at end: $(uptime)"
rm -rf "$work"
