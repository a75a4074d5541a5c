#!/usr/bin/env bash
# Benchmark: Backup-Cell (zstd + AES-256-GCM, through the runner) vs the usual cron job `tar czf`,
# and vs native `tar | zstd -1` for reference, on a ~1 GB mixed tree. Prints medians and ratios.
# usage: bench/backup-cell.sh [SIZE_MB=1024] [RUNS=3]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
size=${1:-1024}; runs=${2:-3}
work=${BENCH_DIR:-/tmp/bt-bench}; tree=$work/tree; repo=$work/repo; key=$work/bench.key
mkdir -p "$work"
[ -f "$root/bin/runner/btrun.dll" ] && [ -f "$root/module/bin/BackupTools.PowerShell.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
[ -d "$tree" ] && [ "$(cat "$work/tree.size" 2>/dev/null)" = "$size" ] || { "$here/make-tree.sh" "$tree" "$size"; echo "$size" > "$work/tree.size"; }
bt="dotnet $root/bin/runner/btrun.dll"
[ -f "$key" ] || $bt -Command "New-BackupKey -Path '$key' | Out-Null"

reset="rm -rf '$work/out.tgz' '$work/out.tar.zst' '$repo'; $bt -Command \"Initialize-BackupRepository -Format v1 -Path '$repo' | Out-Null\"; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true"
candidate="$bt -Command \"Backup-Cell -Name bench -Path '$tree' -Repository '$repo' -KeyFile '$key' | Out-Null\""

echo "== Backup-Cell vs tar czf (the usual cron job) =="
"$here/harness.sh" -n "$runs" -p "$reset" \
  -l "tar czf" -b "tar czf '$work/out.tgz' -C '$tree' ." -o "$work/out.tgz" \
  -L "Backup-Cell zstd+AES" -c "$candidate" -O "$repo"
echo
echo "== Backup-Cell vs native tar | zstd -1 -T1 (reference, no encryption) =="
"$here/harness.sh" -n "$runs" -p "$reset" \
  -l "tar | zstd -1" -b "tar cf - -C '$tree' . | zstd -1 -T1 -q -o '$work/out.tar.zst'" -o "$work/out.tar.zst" \
  -L "Backup-Cell zstd+AES" -c "$candidate" -O "$repo"
