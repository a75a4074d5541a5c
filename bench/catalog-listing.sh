#!/usr/bin/env bash
# Benchmark: Get-Backup on a repository of COUNT backups (default 50,000: 50 clusters × 3 sources, as the fleet of
# issue 19 accumulates), local and on the S3 server, against the target ≤ 2 s and ≤ 200 MB peak RSS; and the old
# listing (one read per manifest: BackupRepository.ListManifests + ToRecord) on the same repository for the ratio.
#
# The backups are small synthetic ones written through the real writing code path (bench/catalog-gen.ps1:
# BackupWriter → data object, catalog entry, manifest, writers' folds), by WRITERS processes at once, into a tmpfs
# folder; then copied to disk (local) and uploaded as they are to a bucket of scripts/s3server (BT_S3_PORT).
# usage: bench/catalog-listing.sh [COUNT=50000] [SECTIONS=local,s3] [WRITERS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(dirname "$here")
count=${1:-50000}; sections=${2:-local,s3}; writers=${3:-2}
work=${BENCH_DIR:-/tmp/bt-bench-catalog}; repo=$work/repo-$count
[ -f "$root/bin/runner/btrun.dll" ] && [ -f "$root/module/bin/BackupTools.PowerShell.dll" ] || dotnet build "$root/BackupTools.sln" -c Release -v q -nologo
command -v /usr/bin/time >/dev/null || { echo "GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 1; }
bt="dotnet $root/bin/runner/btrun.dll"
mkdir -p "$work"

generate() {
  local gen=/dev/shm/bt-catalog-gen-$$; rm -rf "$gen"
  $bt -Command "Initialize-BackupRepository -Format v1 -Path '$gen' | Out-Null"
  local started=$SECONDS pids=()
  for w in $(seq 1 "$writers"); do
    $bt -File "$here/catalog-gen.ps1" -Repository "$gen" -Count $(( count / writers + (w <= count % writers ? 1 : 0) )) -Writer "w$w" & pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  echo "generated $count backups with $writers writer processes in $(( SECONDS - started )) s" >&2
  rm -rf "$repo"; cp -a "$gen" "$repo"; rm -rf "$gen"; sync
  echo "$count" > "$repo.done"
}
[ "$(cat "$repo.done" 2>/dev/null)" = "$count" ] || generate
echo "repository: $(find "$repo/backups" -name manifest.json | wc -l) manifests, catalog: $(ls "$repo/catalog/segments" | wc -l) segment(s), $(ls "$repo/catalog/entries" 2>/dev/null | wc -l) loose entries, $(du -sh "$repo/catalog" | cut -f1)"

core='function CoreType([string] $name) { [BackupTools.Loader.PrivateLoadContext]::Instance.LoadFromAssemblyName([Reflection.AssemblyName]::new("BackupTools.Core")).GetType($name, $true) }; '
measure() { # label, runner command printing "<count> <seconds inside>"
  local log out; log=$(mktemp)
  out=$(/usr/bin/time -f "%e %M %U %S" -o "$log" $bt -Command "$2")
  read -r wall kb user sys < "$log"; rm -f "$log"
  read -r n inside <<< "$out"
  # CPU seconds (user + system, start-up included) tell more than wall time on a loaded host.
  printf '%-40s %6s backups %7.2f s in Get-Backup %7.2f s process %6.2f s CPU %7.1f MB peak RSS\n' "$1" "$n" "$inside" "$wall" "$(awk "BEGIN { print $user + $sys }")" "$(awk "BEGIN { print $kb / 1024 }")"
  echo "$inside" > "$work/last"
}
timed() { echo "\$t = Measure-Command { \$n = @($1).Count }; '{0} {1:F3}' -f \$n, \$t.TotalSeconds"; }

run_section() { # label, repository
  local r=$2
  echo "== $1: $r =="
  measure "Get-Backup (count)" "$(timed "Get-Backup -Repository '$r'")"; local new=$(cat "$work/last")
  measure "Get-Backup -Cell cluster07 -Kind Full" "$(timed "Get-Backup -Repository '$r' -Cell cluster07 -Kind Full")"
  measure "Get-Backup -Latest (one per cell)" "$(timed "Get-Backup -Repository '$r' -Latest")"
  measure "old listing (every manifest read)" "$core\$r = (CoreType BackupTools.Core.Repository.RepositoryReference)::new('$r', \$null).Open(); $(timed "\$r.ListManifests(\$null, [Threading.CancellationToken]::None) | ForEach-Object { \$r.ToRecord(\$_) }")"
  local old; old=$(cat "$work/last")
  printf 'ratio Get-Backup / old listing: %.3fx (target: ≤ 2 s, ≤ 200 MB)\n\n' "$(awk "BEGIN { print $new / $old }")"
}

measure "start-up only (module loaded, no listing)" "Get-Command Get-Backup | Out-Null; '0 0'"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
[[ ,$sections, == *,local,* ]] && run_section "local disk" "$repo"

if [[ ,$sections, == *,s3,* ]]; then
  BT_ONLY=s3 "$root/scripts/servers.sh" start >/dev/null
  set -a; . "$("$root/scripts/servers.sh" env)"; set +a
  export AWS_ACCESS_KEY_ID=$BT_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BT_S3_SECRET_KEY
  bucket=bt-bench-catalog-$count
  if [ "$(cat "$repo.s3" 2>/dev/null)" != "$BT_S3_ENDPOINT/$bucket" ]; then
    started=$SECONDS
    python3 - "$repo" "$BT_S3_ENDPOINT" "$bucket" <<'PY'
import os, sys, boto3, concurrent.futures as cf
root, endpoint, bucket = sys.argv[1:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
try: s3.create_bucket(Bucket=bucket)
except s3.exceptions.BucketAlreadyOwnedByYou: pass
files = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs]
def put(path):
    with open(path, "rb") as body: s3.put_object(Bucket=bucket, Key="repo/" + os.path.relpath(path, root), Body=body.read())
with cf.ThreadPoolExecutor(16) as pool: list(pool.map(put, files))
print(f"uploaded {len(files)} objects", file=sys.stderr)
PY
    echo "upload took $(( SECONDS - started )) s" >&2
    echo "$BT_S3_ENDPOINT/$bucket" > "$repo.s3"
  fi
  run_section "S3 (fauxqs, local)" "s3://$bucket/repo?endpoint=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$BT_S3_ENDPOINT")"
fi
