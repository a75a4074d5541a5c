#!/usr/bin/env python3
"""Runs a command and samples the CPU time of each of its threads (and its children's) every 50 ms, then names the
busiest: on a loaded host the longest single thread says more about the critical path than wall time does.
usage: bench/thread-cpu.py COMMAND [ARGS...]"""
import os, subprocess, sys, time
tick = os.sysconf('SC_CLK_TCK')
proc = subprocess.Popen(sys.argv[1:])
seen = {}
def sample(pid):
    try: tids = os.listdir(f'/proc/{pid}/task')
    except FileNotFoundError: return
    for tid in tids:
        try:
            stat = open(f'/proc/{pid}/task/{tid}/stat').read()
            comm = stat[stat.index('(') + 1:stat.rindex(')')]
            fields = stat[stat.rindex(')') + 2:].split()
            cpu = (int(fields[11]) + int(fields[12])) / tick
            seen[(pid, tid)] = (max(cpu, seen.get((pid, tid), (0, ''))[0]), comm)
        except (FileNotFoundError, ProcessLookupError, ValueError): pass
while proc.poll() is None:
    pids = [proc.pid]
    try: pids += [int(p) for p in open(f'/proc/{proc.pid}/task/{proc.pid}/children').read().split()]
    except FileNotFoundError: pass
    for p in list(pids):
        try: pids += [int(c) for c in open(f'/proc/{p}/task/{p}/children').read().split()]
        except FileNotFoundError: pass
    for p in set(pids): sample(p)
    time.sleep(0.05)
top = sorted(seen.items(), key=lambda kv: -kv[1][0])
total = sum(v[0] for v in seen.values())
print(f'threads seen {len(seen)}, CPU sampled {total:.2f} s; busiest: ' + ', '.join(f'{c} {cpu:.2f}s' for (_, _), (cpu, c) in top[:6]))
