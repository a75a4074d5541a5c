#!/usr/bin/env python3
"""Builds a realistic cell (directory) of SIZE_GB for bench/cell-change.sh, and changes 1 % of it.

make DIR SIZE_GB: large files — "database" files of 1 MiB blocks (60 % text-like base64, 30 % random, 10 % zero
  pages) 40 %, media (random) 20 %, a VM image (random, text and zero blocks) 10 %, application logs 10 % — and many
  small files (2–120 KiB: text, random, log-like) 20 %. No sparse holes, nothing repeated between files.
change DIR: about 1 % of the bytes: 1 MiB ranges overwritten inside the database files and the VM image, appends to
  one database file and to every log, new small files, rewritten small files, a few deleted; prints the bytes written.
"""
import base64
import os
import random
import sys

MIB = 1 << 20


def text_block(n):
    return base64.b64encode(os.urandom(n * 3 // 4))[:n]


def db_block(rng):
    kind = rng.random()
    if kind < 0.6:
        return text_block(MIB)
    if kind < 0.9:
        return os.urandom(MIB)
    return bytes(MIB)


def log_lines(rng, n):
    out, size = [], 0
    while size < n:
        line = (f"2026-11-{rng.randint(1, 28):02d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}."
                f"{rng.randint(0, 999):03d} {rng.choice(('INFO', 'INFO', 'INFO', 'WARN', 'DEBUG'))} "
                f"{rng.choice(('api.orders', 'api.users', 'worker.billing', 'auth'))} req={rng.getrandbits(48):012x} "
                f"user={rng.randint(1, 200000)} status={rng.choice((200, 200, 200, 201, 404, 500))} ms={rng.randint(1, 900)}\n")
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]


def small_content(rng, size):
    kind = rng.random()
    if kind < 0.7:
        return text_block(size)
    if kind < 0.9:
        return os.urandom(size)
    return log_lines(rng, size)


def write_blocks(path, mib, block):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(block())


def make(root, size_gb):
    rng = random.Random(19)
    total = int(size_gb * 1024)  # MiB
    for sub in ("big", "logs", "small"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    for i in range(4):
        write_blocks(os.path.join(root, "big", f"db-{i}.dat"), total * 10 // 100, lambda: db_block(rng))
    for i in range(2):
        write_blocks(os.path.join(root, "big", f"media-{i}.bin"), total * 10 // 100, lambda: os.urandom(MIB))
    write_blocks(os.path.join(root, "big", "vm.img"), total * 10 // 100,
                 lambda: rng.choice((lambda: os.urandom(MIB), lambda: text_block(MIB), lambda: bytes(MIB)))())
    for i in range(16):
        write_blocks(os.path.join(root, "logs", f"app-{i}.log"), total * 10 // 100 // 16, lambda: log_lines(rng, MIB))
    budget, n = total * 20 // 100 * MIB, 0
    while budget > 0:
        size = min(budget, rng.randint(2048, 120 * 1024))
        folder = os.path.join(root, "small", f"d{n // 100:04d}")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"f{n:06d}.dat"), "wb") as f:
            f.write(small_content(rng, size))
        budget -= size
        n += 1
    print(f"{n} small files")


def change(root):
    rng = random.Random(2026)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)
    written = 0
    target = total // 100
    share = lambda pct: target * pct // 100
    big = sorted(os.listdir(os.path.join(root, "big")))
    inplace = [os.path.join(root, "big", f) for f in big if f.startswith(("db-", "vm"))]
    ranges = max(1, share(30) // MIB // len(inplace))
    for path in inplace:  # 30 %: 1 MiB ranges overwritten in place
        blocks = os.path.getsize(path) // MIB
        with open(path, "r+b") as f:
            for block in rng.sample(range(blocks), min(ranges, blocks)):
                f.seek(block * MIB)
                f.write(db_block(rng) if rng.random() < 0.9 else text_block(MIB))
                written += MIB
    with open(inplace[0], "ab") as f:  # 10 %: one database file grows
        for _ in range(max(1, share(10) // MIB)):
            f.write(db_block(rng))
            written += MIB
    logs = sorted(os.path.join(root, "logs", f) for f in os.listdir(os.path.join(root, "logs")))
    for path in logs:  # 30 %: every log grows
        data = log_lines(rng, share(30) // len(logs))
        with open(path, "ab") as f:
            f.write(data)
        written += len(data)
    small = sorted(os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "small")) for f in fs)
    budget = share(15)  # 15 %: small files rewritten
    for path in rng.sample(small, len(small)):
        if budget <= 0:
            break
        size = os.path.getsize(path)
        with open(path, "wb") as f:
            f.write(small_content(rng, size))
        written += size
        budget -= size
    for path in rng.sample(small, 50):  # a few deleted (no bytes written)
        if os.path.exists(path):
            os.remove(path)
    budget, n = share(15), 0  # 15 %: new small files in a new folder and in existing ones
    os.makedirs(os.path.join(root, "small", "new"), exist_ok=True)
    while budget > 0:
        size = min(budget, rng.randint(2048, 120 * 1024))
        folder = os.path.join(root, "small", "new") if n % 2 else os.path.dirname(rng.choice(small))
        with open(os.path.join(folder, f"new-{n:05d}.dat"), "wb") as f:
            f.write(small_content(rng, size))
        written += size
        budget -= size
        n += 1
    print(f"{total} {written}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], float(sys.argv[3]))
    else:
        change(sys.argv[2])
