#!/usr/bin/env python3
"""WAL RPO per sample: seconds from (time, LSN) until a WAL batch manifest of the cell made the archive reach that LSN.
usage: wal-rpo.py <repo> <samples: "epoch lsn" lines> <cell>..."""
import glob, json, re, sys
from datetime import datetime

SEG = 16 * 1024 * 1024

def lsn(text):
    hi, lo = text.split('/')
    return (int(hi, 16) << 32) | int(lo, 16)

def reach(name):
    m = re.fullmatch(r'([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})(?:\.([0-9A-F]{8})\.stream)?', name)
    if not m: return 0
    start = (int(m[2], 16) * (0x100000000 // SEG) + int(m[3], 16)) * SEG
    return start + (int(m[4], 16) if m[4] else SEG)

def when(text):
    return datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp()

repo, samples, cells = sys.argv[1], sys.argv[2], sys.argv[3:]
points = [(float(t), lsn(l)) for t, l in (line.split() for line in open(samples) if line.strip())]
manifests = [json.load(open(p)) for p in glob.glob(f'{repo}/backups/*/manifest.json')]
for cell in cells:
    batches = sorted((when(m['completedAt']), max((reach(f['name']) for f in m['engineInfo']['files']), default=0))
                     for m in manifests if m.get('cell') == cell and m.get('engine') == 'postgres-wal')
    # the archive's reach grows batch by batch; a sample's RPO ends with the first batch that passes its LSN
    # (less the ≤ 7 zero bytes aligning a record's end). O(n*m): fine for minutes of samples.
    rpos = []
    running = []
    top = 0
    for bt, r in batches:
        top = max(top, r); running.append((bt, top))
    for t, l in points:
        hit = next((bt for bt, r in running if r + 8 > l), None)
        rpos.append(None if hit is None else max(0.0, hit - t))
    got = sorted(r for r in rpos if r is not None)
    missing = sum(r is None for r in rpos)
    if not got:
        print(f'{cell}: no sample reached the archive ({len(batches)} batches)'); continue
    p50, p95 = got[len(got) // 2], got[min(len(got) - 1, int(len(got) * 0.95))]
    print(f'{cell}: RPO p50 {p50:.1f} s, p95 {p95:.1f} s, max {got[-1]:.1f} s over {len(got)} samples'
          + (f', {missing} never archived' if missing else '') + f'; {len(batches)} WAL batches')
