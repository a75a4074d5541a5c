#!/usr/bin/env bash
# Builds the benchmark's "mixed tree" (about the shape in shared/design/performance.md, scaled by SIZE_MB):
# incompressible random files, a large sparse file, base64 text documents and repetitive logs.
# usage: bench/make-tree.sh DIR [SIZE_MB (default 1024 = ~1 GB apparent)]
set -euo pipefail
dir=${1:?usage: make-tree.sh DIR [SIZE_MB]}; size=${2:-1024}
rm -rf "$dir"; mkdir -p "$dir"/{random,docs,logs,vm}
random_mb=$(( size * 22 / 100 )); docs=$(( size * 2 )); logs_mb=$(( size * 6 / 100 ))
for i in $(seq 1 $(( random_mb / 8 ))); do head -c 8M /dev/urandom > "$dir/random/blob-$i.bin"; done
# A sparse disk image: half the tree's apparent size, mostly holes, some data.
truncate -s $(( size / 2 ))M "$dir/vm/disk.img"
for off in 1 50 200; do [ $off -lt $(( size / 2 )) ] && dd if=/dev/urandom of="$dir/vm/disk.img" bs=1M seek=$off count=4 conv=notrunc status=none; done
# Text documents: base64 of random bytes (compresses ~25%), 100 per folder.
for i in $(seq 1 "$docs"); do
  sub="$dir/docs/d$(( i / 100 ))"; mkdir -p "$sub"
  head -c $(( 48 * 1024 + (i * 7919) % 32768 )) /dev/urandom | base64 > "$sub/doc-$i.txt"
done
# Logs: repetitive lines with counters (compress very well).
for i in $(seq 1 "$logs_mb"); do
  awk -v n="$i" 'BEGIN { for (j = 0; j < 14000; j++) printf "2026-11-%02d 02:%02d:%02d INFO request id=%d user=%d status=200 latency_ms=%d\n", (n%28)+1, j%60, (j*7)%60, j, (j*31)%1000, (j*13)%250 }' > "$dir/logs/app-$i.log"
done
du -sh --apparent-size "$dir"; du -sh "$dir"
