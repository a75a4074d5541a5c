#!/usr/bin/env python3
"""An independent reader of BackupTools format-2 (chunked) repositories on a folder, written from
docs/repository-format.md ("Format 2") alone — it shares no code with the C# implementation.

  bt-v2-reader.py verify  --repository DIR --key-file KEY [--key-file KEY2 …] [--check-cuts]
  bt-v2-reader.py extract --repository DIR --key-file KEY --id BACKUP_ID [--role data] --out FILE

verify: unwraps the chunk secret, opens every index file and every pack (footer, wrapped data key, encrypted header,
blob framing), cross-checks index ↔ pack headers, then reassembles every object of every backup (chunked, and the
single-object layout of format 1) checking each chunk's HMAC id, the chunk-list hash and the raw size and SHA-256.
--check-cuts also re-runs the content-defined chunker (gear table from the secret) and checks every cut point.
Prints a JSON report; exit status 1 when anything failed. extract writes one object's raw bytes.

Standard library only. AES-256-GCM uses the `cryptography` package when it is installed, else a pure-Python AES-GCM
(slow: about 1 MB/s; BT_READER_PURE_AES=1 forces it). zstd-compressed chunks are decoded with the `zstd` command;
gzip and uncompressed ones need nothing. Secret key files only (key pairs, "ecdh-p384:" wraps, are not handled).
"""
import argparse
import base64
import gzip
import hashlib
import hmac
import json
import os
import struct
import subprocess
import sys


class ReaderError(Exception):
    pass


# ---------------------------------------------------------------- AES-256-GCM (pure Python fallback)

def _xtime(a):
    return (((a << 1) ^ 0x1B) & 0xFF) if a & 0x80 else a << 1


def _sbox():
    box, p, q = [0] * 256, 1, 1
    rotl = lambda v, s: ((v << s) | (v >> (8 - s))) & 0xFF
    while True:
        p = p ^ _xtime(p)
        q ^= (q << 1) & 0xFF
        q ^= (q << 2) & 0xFF
        q ^= (q << 4) & 0xFF
        if q & 0x80:
            q ^= 0x09
        box[p] = q ^ rotl(q, 1) ^ rotl(q, 2) ^ rotl(q, 3) ^ rotl(q, 4) ^ 0x63
        if p == 1:
            break
    box[0] = 0x63
    return box


_S = _sbox()
_T0 = [(_xtime(s) << 24) | (s << 16) | (s << 8) | (_xtime(s) ^ s) for s in _S]
_ror = lambda w, n: ((w >> n) | (w << (32 - n))) & 0xFFFFFFFF
_T1 = [_ror(t, 8) for t in _T0]
_T2 = [_ror(t, 16) for t in _T0]
_T3 = [_ror(t, 24) for t in _T0]


def _gf_mult(x, y):
    """Multiplication in GF(2^128) with GCM's bit order (bit 0 = most significant bit of the first byte)."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ (0xE1 << 120) if v & 1 else v >> 1
    return z


class PureAesGcm:
    def __init__(self, key):
        if len(key) != 32:
            raise ReaderError("AES-256 needs a 32-byte key")
        w = [int.from_bytes(key[i:i + 4], "big") for i in range(0, 32, 4)]
        sub = lambda t: (_S[t >> 24] << 24) | (_S[(t >> 16) & 255] << 16) | (_S[(t >> 8) & 255] << 8) | _S[t & 255]
        rcon = 1
        for i in range(8, 60):
            t = w[i - 1]
            if i % 8 == 0:
                t = sub(((t << 8) | (t >> 24)) & 0xFFFFFFFF) ^ (rcon << 24)
                rcon = _xtime(rcon)
            elif i % 8 == 4:
                t = sub(t)
            w.append(w[i - 8] ^ t)
        self._w = w
        h = self._encrypt(0)
        # GHASH by tables: table[j][b] = (b at byte position j) · H, so X · H is 16 lookups.
        self._table = []
        for j in range(16):
            basis = [_gf_mult(1 << (8 * (15 - j) + k), h) for k in range(8)]
            row = [0] * 256
            for b in range(1, 256):
                low = (b & -b).bit_length() - 1
                row[b] = row[b & (b - 1)] ^ basis[low]
            self._table.append(row)

    def _encrypt(self, block):
        w = self._w
        s0, s1, s2, s3 = ((block >> 96) & 0xFFFFFFFF) ^ w[0], ((block >> 64) & 0xFFFFFFFF) ^ w[1], ((block >> 32) & 0xFFFFFFFF) ^ w[2], (block & 0xFFFFFFFF) ^ w[3]
        for r in range(1, 14):
            k = 4 * r
            s0, s1, s2, s3 = (
                _T0[s0 >> 24] ^ _T1[(s1 >> 16) & 255] ^ _T2[(s2 >> 8) & 255] ^ _T3[s3 & 255] ^ w[k],
                _T0[s1 >> 24] ^ _T1[(s2 >> 16) & 255] ^ _T2[(s3 >> 8) & 255] ^ _T3[s0 & 255] ^ w[k + 1],
                _T0[s2 >> 24] ^ _T1[(s3 >> 16) & 255] ^ _T2[(s0 >> 8) & 255] ^ _T3[s1 & 255] ^ w[k + 2],
                _T0[s3 >> 24] ^ _T1[(s0 >> 16) & 255] ^ _T2[(s1 >> 8) & 255] ^ _T3[s2 & 255] ^ w[k + 3])
        last = lambda a, b, c, d, k: ((_S[a >> 24] << 24) | (_S[(b >> 16) & 255] << 16) | (_S[(c >> 8) & 255] << 8) | _S[d & 255]) ^ w[k]
        return (last(s0, s1, s2, s3, 56) << 96) | (last(s1, s2, s3, s0, 57) << 64) | (last(s2, s3, s0, s1, 58) << 32) | last(s3, s0, s1, s2, 59)

    def _ghash(self, aad, ciphertext):
        y, table = 0, self._table
        for data in (aad, ciphertext):
            for i in range(0, len(data), 16):
                x = y ^ int.from_bytes(data[i:i + 16].ljust(16, b"\0"), "big")
                y = 0
                for j in range(16):
                    y ^= table[j][(x >> (8 * (15 - j))) & 255]
        x = y ^ ((len(aad) * 8) << 64 | len(ciphertext) * 8)
        y = 0
        for j in range(16):
            y ^= table[j][(x >> (8 * (15 - j))) & 255]
        return y

    def decrypt(self, nonce, sealed, aad):
        if len(nonce) != 12 or len(sealed) < 16:
            raise ReaderError("malformed AES-GCM input")
        ciphertext, tag = sealed[:-16], sealed[-16:]
        j0 = int.from_bytes(nonce, "big") << 32 | 1
        expected = (self._encrypt(j0) ^ self._ghash(aad, ciphertext)).to_bytes(16, "big")
        if not hmac.compare_digest(expected, tag):
            raise ReaderError("AES-GCM tag mismatch (damaged data or wrong key)")
        base = j0 >> 32 << 32
        blocks = (len(ciphertext) + 15) // 16
        stream = b"".join(self._encrypt(base | ((2 + i) & 0xFFFFFFFF)).to_bytes(16, "big") for i in range(blocks))
        return (int.from_bytes(ciphertext, "big") ^ int.from_bytes(stream[:len(ciphertext)], "big")).to_bytes(len(ciphertext), "big")


def aes_gcm(key):
    if not os.environ.get("BT_READER_PURE_AES"):
        try:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM
            from cryptography.exceptions import InvalidTag
        except ImportError:
            return PureAesGcm(key)

        class Fast:
            def __init__(self):
                self._aes = AESGCM(key)

            def decrypt(self, nonce, sealed, aad):
                try:
                    return self._aes.decrypt(nonce, sealed, aad)
                except InvalidTag:
                    raise ReaderError("AES-GCM tag mismatch (damaged data or wrong key)")
        return Fast()
    return PureAesGcm(key)


# ---------------------------------------------------------------- format primitives

def unwrap(kek, wrapped, associated):
    """DataKeyWrapper: base64(nonce 12 ‖ AES-256-GCM(kek, nonce, key, AD) 32 ‖ tag 16)."""
    if wrapped.startswith("ecdh-p384:"):
        raise ReaderError("key pairs (ecdh-p384 wraps) are not handled by this reader")
    raw = base64.b64decode(wrapped)
    if len(raw) != 60:
        raise ReaderError(f"wrapped key for {associated} has {len(raw)} bytes, not 60")
    return aes_gcm(kek).decrypt(raw[:12], raw[12:], associated.encode())


def open_btseg(data, key):
    """A BTSEG stream: header, then segments of ciphertext ‖ tag; only the last carries the final flag."""
    if data[:6] != b"BTSEG\0" or len(data) < 19:
        raise ReaderError("not a BTSEG stream")
    if data[6] != 1:
        raise ReaderError(f"BTSEG version {data[6]}")
    segment = struct.unpack(">I", data[7:11])[0]
    prefix, id_length = data[11:18], data[18]
    header = data[:19 + id_length]
    aes, out, at, counter = aes_gcm(key), [], len(header), 0
    while True:
        remaining = len(data) - at
        final = remaining <= segment + 16
        take = remaining if final else segment + 16
        if take < 16:
            raise ReaderError("BTSEG stream truncated")
        nonce = prefix + struct.pack(">I", counter) + (b"\1" if final else b"\0")
        out.append(aes.decrypt(nonce, data[at:at + take], header))
        at, counter = at + take, counter + 1
        if final:
            return b"".join(out), header[19:].decode()


def trailer(data, magic, name):
    """… ‖ footer JSON ‖ u32 LE footer length ‖ 8-byte magic. Returns (footer, footer start)."""
    if len(data) < 12 or data[-8:] != magic:
        raise ReaderError(f"{name}: no {magic.decode()} trailer")
    length = struct.unpack("<I", data[-12:-8])[0]
    start = len(data) - 12 - length
    if start < 0:
        raise ReaderError(f"{name}: impossible footer length {length}")
    return json.loads(data[start:len(data) - 12]), start


def decompress(blob, algorithm):
    if algorithm == "none":
        return blob
    if algorithm == "gzip":
        return gzip.decompress(blob)
    if algorithm == "zstd":
        try:
            return subprocess.run(["zstd", "-d", "-q", "-c"], input=blob, capture_output=True, check=True).stdout
        except FileNotFoundError:
            raise ReaderError("zstd chunks need the zstd command")
        except subprocess.CalledProcessError as e:
            raise ReaderError(f"zstd: {e.stderr.decode(errors='replace').strip()}")
    raise ReaderError(f"unknown compression {algorithm}")


def key_id(key):
    return "k-" + hmac.new(key, b"BackupTools key id v1", hashlib.sha256).digest()[:8].hex()


def load_keys(paths):
    keys = {}
    for path in paths:
        with open(path) as f:
            doc = json.load(f)
        if "key" not in doc:
            raise ReaderError(f"{path}: only secret key files are handled")
        key = base64.b64decode(doc["key"])
        if key_id(key) != doc["id"]:
            raise ReaderError(f"{path}: the id does not match the key")
        keys[doc["id"]] = key
    return keys


class Chunker:
    """FastCDC gear chunker of docs/repository-format.md, "Chunking"."""

    def __init__(self, secret, minimum, average, maximum):
        self.gear = [int.from_bytes(hmac.new(secret, b"BackupTools gear v1" + bytes([i]), hashlib.sha256).digest()[:8], "big") for i in range(256)]
        bits = average.bit_length() - 1
        top = lambda n: ((1 << 64) - 1) ^ ((1 << (64 - n)) - 1)
        self.before, self.after = top(bits + 2), top(bits - 2)
        self.minimum, self.average, self.maximum = minimum, average, maximum

    def cut(self, chunk):
        """Where a chunk starting at chunk[0] ends, or None when no cut falls inside these bytes."""
        h, gear, mask64 = 0, self.gear, (1 << 64) - 1
        limit = min(len(chunk), self.maximum)
        for p in range(self.minimum, limit):
            h = ((h << 1) + gear[chunk[p]]) & mask64
            if h & (self.before if p < self.average else self.after) == 0:
                return p + 1
        return self.maximum if limit == self.maximum else None


# ---------------------------------------------------------------- the repository

class Repository:
    def __init__(self, root, keys):
        self.root, self.keys, self.errors, self.warnings = root, keys, [], []
        with open(os.path.join(root, "repository.json")) as f:
            self.config = json.load(f)
        if self.config.get("format") != "backuptools-repository" or self.config.get("formatVersion") != 2:
            raise ReaderError("not a format-2 BackupTools repository")
        chunking = self.config["chunking"]
        self.secret = None
        for entry in chunking["secrets"]:
            if entry["keyId"] in keys:
                self.secret = unwrap(keys[entry["keyId"]], entry["wrapped"], "chunk-secret:" + self.config["id"])
                break
        if self.secret is None:
            raise ReaderError("no given key wraps the chunk secret (it is wrapped under " + ", ".join(s["keyId"] for s in chunking["secrets"]) + ")")
        self.chunker = Chunker(self.secret, chunking["minSize"], chunking["averageSize"], chunking["maxSize"])
        first = chunking.get("firstChunk")  # absent: an object's first chunk has the same limits as the others
        self.first_chunker = Chunker(self.secret, first["minSize"], first["averageSize"], first["maxSize"]) if first else self.chunker
        if chunking.get("chunkId", "hmac-sha256") != "hmac-sha256":
            raise ReaderError(f"chunk id scheme {chunking['chunkId']!r} is not known to this reader")
        self.locations, self.packs, self.index_files = {}, {}, 0
        self._pack_keys = {}

    def _read(self, *parts):
        with open(os.path.join(self.root, *parts), "rb") as f:
            return f.read()

    def _files(self, folder):
        top = os.path.join(self.root, folder)
        for base, _, names in os.walk(top):
            for name in sorted(names):
                yield os.path.relpath(os.path.join(base, name), self.root)

    def load_index(self):
        for rel in self._files("index"):
            name = os.path.basename(rel)
            data = self._read(rel)
            footer, start = trailer(data, b"BTINDX01", rel)
            if footer["bodyLength"] != start:
                raise ReaderError(f"{rel}: bodyLength {footer['bodyLength']} but the body is {start} bytes")
            key = unwrap(self.keys[footer["keyId"]], footer["wrappedKey"], "index:" + name)
            body = json.loads(open_btseg(data[:start], key)[0])
            for entry in body["packs"]:
                pack = entry["pack"]
                self.packs.setdefault(pack["id"], {"ref": pack, "chunks": {}})
                for chunk in entry["chunks"]:
                    self.locations.setdefault(chunk["id"], (pack, chunk["offset"], chunk["length"], chunk["rawLength"]))
                    self.packs[pack["id"]]["chunks"][chunk["id"]] = (chunk["offset"], chunk["length"], chunk["rawLength"])
            self.index_files += 1

    def pack_key(self, pack):
        if pack["id"] not in self._pack_keys:
            self._pack_keys[pack["id"]] = unwrap(self.keys[pack["keyId"]], pack["wrappedKey"], "pack:" + pack["id"])
        return self._pack_keys[pack["id"]]

    def check_packs(self):
        """Every pack file: trailer, footer, header entries contiguous up to the header, and the same as the index says."""
        seen = 0
        for rel in self._files("data"):
            seen += 1
            parts = rel.split(os.sep)
            pack_id = parts[-1]
            try:
                if len(parts) != 3 or parts[1] != pack_id[:2] or len(pack_id) != 64:
                    raise ReaderError("not at data/<2 hex>/<64 hex id>")
                data = self._read(rel)
                footer, start = trailer(data, b"BTPACK01", rel)
                if footer["id"] != pack_id or footer["format"] != "backuptools-pack" or footer["version"] != 1:
                    raise ReaderError(f"footer names pack {footer['id']} v{footer['version']}")
                if footer["headerOffset"] + footer["headerLength"] != start:
                    raise ReaderError("the header does not end where the footer starts")
                key = unwrap(self.keys[footer["keyId"]], footer["wrappedKey"], "pack:" + pack_id)
                header = open_btseg(data[footer["headerOffset"]:start], key)[0]
                if header[:6] != b"BTPKH\0" or header[6] != 1:
                    raise ReaderError("bad pack header magic/version")
                count = struct.unpack("<I", header[7:11])[0]
                if len(header) != 11 + 48 * count:
                    raise ReaderError(f"pack header of {len(header)} bytes for {count} entries")
                expected_offset, entries = 0, {}
                for i in range(count):
                    e = header[11 + 48 * i:11 + 48 * (i + 1)]
                    chunk_id = e[:32].hex()
                    offset, length, raw = struct.unpack("<QII", e[32:48])
                    if offset != expected_offset:
                        raise ReaderError(f"blob {i} at {offset}, expected {expected_offset}")
                    expected_offset += length
                    entries[chunk_id] = (offset, length, raw)
                if expected_offset != footer["headerOffset"]:
                    raise ReaderError("blobs do not end where the header starts")
                indexed = self.packs.get(pack_id)
                if indexed is None:  # a crashed or running writer's pack: harmless, prune removes it
                    self.warnings.append(f"{rel}: in no index file (unreferenced)")
                    continue
                if indexed["ref"]["size"] != len(data):
                    raise ReaderError(f"{len(data)} bytes, the index says {indexed['ref']['size']}")
                if indexed["chunks"] != entries:
                    raise ReaderError("the index lists other chunks than the pack header")
            except (ReaderError, KeyError, ValueError) as e:
                self.errors.append(f"{rel}: {e}")
        for pack_id in self.packs:
            if not os.path.exists(os.path.join(self.root, "data", pack_id[:2], pack_id)):
                self.errors.append(f"pack {pack_id} is in the index but missing")
        return seen

    def read_chunk(self, chunk_id):
        if chunk_id not in self.locations:
            raise ReaderError(f"chunk {chunk_id} is in no index file")
        pack, offset, length, raw_length = self.locations[chunk_id]
        with open(os.path.join(self.root, "data", pack["id"][:2], pack["id"]), "rb") as f:
            f.seek(offset)
            blob = f.read(length)
        if len(blob) != length:
            raise ReaderError(f"pack {pack['id']} is truncated")
        try:
            raw = decompress(open_btseg(blob, self.pack_key(pack))[0], pack["compression"])
        except ReaderError as e:
            raise ReaderError(f"chunk {chunk_id} in pack {pack['id']}: {e}")
        if len(raw) != raw_length or hmac.new(self.secret, raw, hashlib.sha256).hexdigest() != chunk_id:
            raise ReaderError(f"chunk {chunk_id} in pack {pack['id']} does not match its id")
        return raw

    def object_bytes(self, manifest, role, check_cuts=False):
        """Yields an object's raw bytes piece by piece, then checks raw size and SHA-256 against the manifest."""
        obj = manifest["objects"][role]
        raw_hash, size = hashlib.sha256(), 0
        pieces = self._chunks(obj, check_cuts) if manifest.get("layout") == "chunked" else self._single_object(manifest, obj)
        for piece in pieces:
            raw_hash.update(piece)
            size += len(piece)
            yield piece
        if size != obj["rawBytes"] or raw_hash.hexdigest() != obj["rawSha256"]:
            raise ReaderError(f"{obj['key']}: raw size/SHA-256 do not match the manifest")

    def _chunks(self, obj, check_cuts):
        ids = obj["chunks"]
        if hashlib.sha256(b"".join(bytes.fromhex(c) for c in ids)).hexdigest() != obj["sha256"]:
            raise ReaderError(f"{obj['key']}: the chunk list does not match sha256")
        for n, chunk_id in enumerate(ids):
            piece = self.read_chunk(chunk_id)
            if check_cuts:
                cut = (self.first_chunker if n == 0 else self.chunker).cut(piece)
                if not (cut == len(piece) or (n == len(ids) - 1 and cut is None)):
                    raise ReaderError(f"{obj['key']}: chunk {n} ends at {len(piece)}, the chunker cuts at {cut}")
            yield piece

    def _single_object(self, manifest, obj):
        """Format 1's single-object layout (a v1 backup kept in a v2 repository): stored = compressed, then BTSEG."""
        stored = self._read(*obj["key"].split("/"))
        if len(stored) != obj["storedBytes"] or hashlib.sha256(stored).hexdigest() != obj["sha256"]:
            raise ReaderError(f"{obj['key']}: stored size/SHA-256 do not match the manifest")
        encryption = manifest.get("encryption")
        if encryption:
            data_key = unwrap(self.keys[encryption["keyId"]], encryption["wrappedDataKey"], manifest["id"])
            stored = open_btseg(stored, data_key)[0]
        yield decompress(stored, manifest["compression"]["algorithm"])

    def manifests(self):
        for rel in self._files("backups"):
            if rel.endswith(os.sep + "manifest.json"):
                with open(os.path.join(self.root, rel)) as f:
                    manifest = json.load(f)
                if manifest["id"] != rel.split(os.sep)[1]:
                    raise ReaderError(f"{rel} holds backup {manifest['id']}")
                yield manifest


def verify(args):
    repo = Repository(args.repository, load_keys(args.key_file))
    repo.load_index()
    report = {"repository": repo.config["id"], "indexFiles": repo.index_files, "indexedChunks": len(repo.locations),
              "packs": repo.check_packs(), "backups": [], "errors": repo.errors, "warnings": repo.warnings}
    for manifest in repo.manifests():
        entry = {"id": manifest["id"], "layout": manifest.get("layout", "single-object"), "objects": {}}
        for role, obj in manifest["objects"].items():
            try:
                size = sum(len(p) for p in repo.object_bytes(manifest, role, args.check_cuts))
                entry["objects"][role] = {"rawBytes": size, "chunks": len(obj.get("chunks") or []), "ok": True}
            except (ReaderError, KeyError, ValueError, OSError) as e:
                entry["objects"][role] = {"ok": False, "error": str(e)}
                repo.errors.append(f"{manifest['id']}/{role}: {e}")
        report["backups"].append(entry)
    print(json.dumps(report, indent=2))
    return 1 if repo.errors else 0


def extract(args):
    repo = Repository(args.repository, load_keys(args.key_file))
    repo.load_index()
    manifest = next((m for m in repo.manifests() if m["id"] == args.id), None)
    if manifest is None:
        raise ReaderError(f"no backup {args.id}")
    with open(args.out, "wb") as out:
        for piece in repo.object_bytes(manifest, args.role):
            out.write(piece)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("verify", "extract"):
        p = sub.add_parser(name)
        p.add_argument("--repository", required=True)
        p.add_argument("--key-file", action="append", required=True)
        if name == "verify":
            p.add_argument("--check-cuts", action="store_true")
        else:
            p.add_argument("--id", required=True)
            p.add_argument("--role", default="data")
            p.add_argument("--out", required=True)
    args = parser.parse_args()
    try:
        return verify(args) if args.command == "verify" else extract(args)
    except (ReaderError, KeyError, OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
