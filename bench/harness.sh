#!/usr/bin/env bash
# Times a baseline command and a candidate side by side, in one run, alternating them so both see the
# same machine state; prints medians of wall time and peak memory (RSS of the whole process tree's
# largest process, from GNU time), output sizes, and the candidate/baseline ratios.
#
# usage: bench/harness.sh -n RUNS -l "baseline label" -b "baseline cmd" -L "candidate label" -c "candidate cmd"
#                         [-o baseline_output_path] [-O candidate_output_path] [-p "prepare cmd run before each"]
set -euo pipefail
runs=3; prep=":"; bout=""; cout=""
while getopts "n:l:b:L:c:o:O:p:" opt; do
  case $opt in
    n) runs=$OPTARG ;; l) blabel=$OPTARG ;; b) bcmd=$OPTARG ;; L) clabel=$OPTARG ;; c) ccmd=$OPTARG ;;
    o) bout=$OPTARG ;; O) cout=$OPTARG ;; p) prep=$OPTARG ;; *) exit 64 ;;
  esac
done
command -v /usr/bin/time >/dev/null || { echo "GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 1; }

measure() { # cmd -> "wall_seconds peak_kb"
  local log; log=$(mktemp)
  bash -c "$prep" >/dev/null 2>&1
  /usr/bin/time -f "%e %M" -o "$log" bash -c "$1" >/dev/null 2>"$log.err" || { echo "command failed: $1" >&2; cat "$log.err" >&2; exit 1; }
  cat "$log"; rm -f "$log" "$log.err"
}
size_of() { [ -n "$1" ] && du -sb "$1" 2>/dev/null | cut -f1 || echo 0; }
calc() { awk "BEGIN { print $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

bw=(); bm=(); cw=(); cm=()
for i in $(seq 1 "$runs"); do
  read -r w m < <(measure "$bcmd"); bw+=("$w"); bm+=("$m"); bs=$(size_of "$bout")
  read -r w m < <(measure "$ccmd"); cw+=("$w"); cm+=("$m"); cs=$(size_of "$cout")
  echo "run $i: $blabel ${bw[-1]} s, ${bm[-1]} KB | $clabel ${cw[-1]} s, ${cm[-1]} KB" >&2
done
bwm=$(printf '%s\n' "${bw[@]}" | median); cwm=$(printf '%s\n' "${cw[@]}" | median)
bmm=$(printf '%s\n' "${bm[@]}" | median); cmm=$(printf '%s\n' "${cm[@]}" | median)
printf '%-40s %10s %12s %14s\n' "command (median of $runs)" "wall s" "peak RSS MB" "output MB"
printf '%-40s %10.2f %12.1f %14.1f\n' "$blabel" "$bwm" "$(calc "$bmm/1024")" "$(calc "${bs:-0}/1048576")"
printf '%-40s %10.2f %12.1f %14.1f\n' "$clabel" "$cwm" "$(calc "$cmm/1024")" "$(calc "${cs:-0}/1048576")"
if [ "${bs:-0}" -gt 0 ]; then size_ratio=$(printf '%.3fx' "$(calc "${cs:-0}/$bs")"); else size_ratio="n/a"; fi
printf 'ratio %s / %s: wall %.3fx, output size %s\n' "$clabel" "$blabel" "$(calc "$cwm/$bwm")" "$size_ratio"
# The machine's speed drifts between runs (shared hosts); each run pairs the two commands back to back,
# so the median of the per-run ratios is the figure least moved by that drift.
pr=(); for i in "${!bw[@]}"; do pr+=("$(calc "${cw[$i]}/${bw[$i]}")"); done
printf 'per-run ratios: %s; median %.3fx\n' "$(printf '%.3f ' "${pr[@]}")" "$(printf '%s\n' "${pr[@]}" | median)"
