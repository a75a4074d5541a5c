#!/usr/bin/env python3
"""Writes RESP commands for redis-cli --pipe: about SIZE_MB of random values of mixed sizes and types
(strings 16 B-32 KB, hashes, lists, sets, sorted sets, streams, some keys with TTLs) across 4 databases.
Values are random base64/hex text, not one repeated string, so compression sees realistic entropy.
usage: make-redis-data.py SIZE_MB | redis-cli -p PORT --pipe"""
import base64, os, random, sys

size = int(sys.argv[1]) * 1024 * 1024
rng = random.Random(7)
out = sys.stdout.buffer
pool = base64.b64encode(os.urandom(8 << 20))  # slices of a large random pool: fast, and no two values alike
def text(n):
    start = rng.randrange(0, len(pool) - n)
    return pool[start:start + n]
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)

written, i, buf = 0, 0, []
while written < size:
    if i % 50000 == 0:
        buf.append(cmd("SELECT", (i // 50000) % 4))
    kind = rng.random()
    if kind < 0.45:
        n = int(rng.choice([16, 64, 256, 1024, 4096, 32768]) * rng.uniform(0.5, 1.5))
        v = text(n)
        buf.append(cmd("SET", b"str:%d" % i, v, "EX", rng.randint(3600, 86400)) if rng.random() < 0.2 else cmd("SET", b"str:%d" % i, v))
        written += n
    elif kind < 0.65:
        fields = rng.randint(3, 40)
        args = ["HSET", b"hash:%d" % i]
        for f in range(fields):
            v = text(rng.randint(8, 300)); args += [b"f%d" % f, v]; written += len(v)
        buf.append(cmd(*args))
    elif kind < 0.78:
        items = [text(rng.randint(8, 200)) for _ in range(rng.randint(3, 200))]
        written += sum(map(len, items)); buf.append(cmd("RPUSH", b"list:%d" % i, *items))
    elif kind < 0.88:
        items = [text(rng.randint(8, 64)) for _ in range(rng.randint(3, 300))]
        written += sum(map(len, items)); buf.append(cmd("SADD", b"set:%d" % i, *items))
    elif kind < 0.97:
        args = ["ZADD", b"zset:%d" % i]
        for _ in range(rng.randint(3, 200)):
            m = text(rng.randint(8, 48)); args += [b"%.6f" % rng.uniform(0, 1e6), m]; written += len(m) + 8
        buf.append(cmd(*args))
    else:
        for _ in range(rng.randint(1, 20)):
            v = text(rng.randint(16, 400)); written += len(v)
            buf.append(cmd("XADD", b"stream:%d" % i, "*", "event", b"e%d" % rng.randint(0, 99), "payload", v))
    i += 1
    if len(buf) >= 2000:
        out.write(b"".join(buf)); buf = []
out.write(b"".join(buf))
