#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets from tests/vectors/macaroons.json.

    python3 fuzz/seed.py            # add the seeds to fuzz/corpus/<target>/
    python3 fuzz/seed.py --clean    # empty fuzz/corpus/<target>/ first

Also copies the inputs of fixed bugs, fuzz/regressions/<target>/*, into the corpus (cmin drops
them once they no longer reach new code).

Deterministic: the same vectors give the same files. Each file is named by the SHA-1 of its
content, as libFuzzer names the inputs it keeps, so seeds and fuzzer findings never collide and
re-running the script after `cargo fuzz cmin` only puts back seeds cmin dropped.

  v1       the decoded V1 bytes of every V1 token, and the V2/JSON vectors rewritten as V1
  v2       the decoded V2 bytes of every V2 token, and the V1/JSON vectors rewritten as V2
  json     the JSON tokens, and the V1/V2 vectors rewritten as libmacaroons JSON
  text     every token text: plain, escaped, padded, standard alphabet, the seed examples
  forgery  all of the above, binary and text
  token    Onezone identifiers and caveats (string and JSON forms) from fuzz/token_seeds.txt,
           and every identifier and caveat of the vectors
  discharge  framed parts (2-byte big-endian length, then the bytes): a macaroon, then its
           discharges, from the third-party cases of tests/vectors/generated.json (binary and
           text forms, bound and shuffled, repeated, the macaroon as its own discharge)
"""

import base64
import hashlib
import json
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors" / "macaroons.json"
CORPUS = ROOT / "fuzz" / "corpus"
REGRESSIONS = ROOT / "fuzz" / "regressions"
GENERATED = ROOT / "tests" / "vectors" / "generated.json"
TARGETS = ("v1", "v2", "json", "text", "forgery", "token", "discharge")


def frame(*parts):
    return b"".join(len(p).to_bytes(2, "big") + p for p in parts)


def discharge_seeds():
    cases = json.loads(GENERATED.read_text())["third_party_cases"]
    seeds = [b"", frame(b"keyid"), frame(b"keyid", b"")]
    for case in cases:
        m_v1 = b64decode(case["v1_base64url"])
        m_v2 = b64decode(case["v2_base64url"])
        d_v1 = b64decode(case["discharge_v1_base64url"])
        d_v2 = b64decode(case["discharge_v2_base64url"])
        d_json = case["discharge_v2_json"].encode()
        seeds += [
            frame(m_v1, d_v1),
            frame(m_v2, d_v2, d_json),
            frame(case["v2_json"].encode(), case["discharge_v1_base64url"].encode()),
            frame(m_v1, m_v1),
            frame(m_v2, d_v2, d_v2),
        ]
    return seeds

ESCAPES = {"0": "00", "_": "01", "-": "02", "/": "03", "+": "04", "=": "05"}
UNESCAPES = {v[1]: k for k, v in ESCAPES.items()}


def escape(text):
    return "".join(ESCAPES.get(c, c) for c in text)


def unescape(text):
    out, it = [], iter(text)
    for c in it:
        out.append(UNESCAPES[next(it)] if c == "0" else c)
    return "".join(out)


def b64decode(text):
    text = text.replace("-", "+").replace("_", "/").rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode_token(vector):
    """The bytes behind a vector's token text (JSON tokens are their own bytes)."""
    token = vector["token"]
    if token.startswith("{"):
        return token.encode()
    if vector.get("format") == "v1+escape62":
        token = unescape(token)
    return b64decode(token)


# A macaroon as plain data: (location, identifier, [(cid, vid, cl)], signature), all bytes,
# vid/cl None for first-party caveats.


def parse_v1(data):
    packets, pos = [], 0
    while pos < len(data):
        size = int(data[pos : pos + 4], 16)
        key, _, value = data[pos + 4 : pos + size - 1].partition(b" ")
        packets.append((key, value))
        pos += size
    location, identifier, caveats, signature = b"", None, [], None
    for key, value in packets:
        if key == b"location":
            location = value
        elif key == b"identifier":
            identifier = value
        elif key == b"cid":
            caveats.append([value, None, None])
        elif key == b"vid":
            caveats[-1][1] = value
        elif key == b"cl":
            caveats[-1][2] = value
        elif key == b"signature":
            signature = value
    return location, identifier, caveats, signature


def read_varint(data, pos):
    value, shift = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, pos


def parse_v2(data):
    assert data[0] == 2
    pos, section, location, identifier, caveats, signature = 1, [], b"", None, [], None
    sections = []
    while pos < len(data):
        kind, pos = read_varint(data, pos)
        if kind == 0:
            sections.append(section)
            section = []
            continue
        size, pos = read_varint(data, pos)
        section.append((kind, data[pos : pos + size]))
        pos += size
    sections.append(section)
    for kind, value in sections[0]:
        if kind == 1:
            location = value
        elif kind == 2:
            identifier = value
    for section in sections[1:-1]:
        fields = dict(section)
        if not fields:
            continue
        caveats.append([fields[2], fields.get(4), fields.get(1)])
    signature = dict(sections[-1])[6]
    return location, identifier, caveats, signature


def field(name, value):
    try:
        return '"%s":%s' % (name, json.dumps(value.decode("utf-8"), separators=(",", ":")))
    except UnicodeDecodeError:
        return '"%s64":"%s"' % (name, b64url(value))


def parse_json(text):
    raw = json.loads(text)

    def data(obj, name):
        if name in obj:
            return obj[name].encode()
        if name + "64" in obj:
            return b64decode(obj[name + "64"])
        return None

    caveats = [[data(c, "i"), data(c, "v"), data(c, "l")] for c in raw.get("c") or []]
    return data(raw, "l") or b"", data(raw, "i"), caveats, data(raw, "s")


def write_v1(m):
    location, identifier, caveats, signature = m

    def packet(key, value):
        size = 4 + len(key) + 1 + len(value) + 1
        return b"%04x%s %s\n" % (size, key, value)

    out = packet(b"location", location) + packet(b"identifier", identifier)
    for cid, vid, cl in caveats:
        out += packet(b"cid", cid)
        if vid is not None:
            out += packet(b"vid", vid) + (packet(b"cl", cl) if cl else b"")
    return out + packet(b"signature", signature)


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write_v2(m):
    location, identifier, caveats, signature = m

    def put(kind, value):
        return bytes([kind]) + varint(len(value)) + value

    out = b"\x02" + (put(1, location) if location else b"") + put(2, identifier) + b"\x00"
    for cid, vid, cl in caveats:
        if vid is not None and cl:
            out += put(1, cl)
        out += put(2, cid) + (put(4, vid) if vid is not None else b"") + b"\x00"
    return out + b"\x00" + put(6, signature)


def write_json(m):
    location, identifier, caveats, signature = m
    parts = ['"v":2'] + ([field("l", location)] if location else []) + [field("i", identifier)]
    cs = []
    for cid, vid, cl in caveats:
        c = [field("i", cid)]
        if vid is not None:
            c += ([field("l", cl)] if cl else []) + ['"v64":"%s"' % b64url(vid)]
        cs.append("{" + ",".join(c) + "}")
    parts += ['"c":[' + ",".join(cs) + "]", '"s64":"%s"' % b64url(signature)]
    return "{" + ",".join(parts) + "}"


def main():
    vectors = json.loads(VECTORS.read_text())
    token_vectors = (
        vectors["v1"] + vectors["v2"] + vectors["v2json"] + [vectors["third_party_v1"]]
    )
    seed = vectors["seed_examples"]
    token_vectors.append({"format": "v1", "token": seed["repaired"]})

    texts, v1s, v2s, jsons = [], [], [], []
    for v in token_vectors:
        raw = decode_token(v)
        texts.append(v["token"])
        if "token_padded" in v:
            texts.append(v["token_padded"])
        if raw[:1] == b"{":
            m = parse_json(raw.decode())
            jsons.append(raw.decode())
        elif raw[:1] == b"\x02":
            m = parse_v2(raw)
            v2s.append(raw)
        else:
            m = parse_v1(raw)
            v1s.append(raw)
        # The same macaroon in the other formats and text forms.
        v1s.append(write_v1(m))
        v2s.append(write_v2(m))
        jsons.append(write_json(m))
        for binary in (write_v1(m), write_v2(m)):
            url = b64url(binary)
            std = base64.standard_b64encode(binary).decode()
            texts += [url, escape(url), std]
    texts += [seed["corrupted"], seed["truncated"]]

    corpora = {
        "v1": v1s,
        "v2": v2s,
        "json": [j.encode() for j in jsons],
        "text": [t.encode() for t in texts],
    }
    corpora["forgery"] = corpora["v1"] + corpora["v2"] + corpora["json"] + corpora["text"]
    token_seeds = (ROOT / "fuzz" / "token_seeds.txt").read_text().splitlines()
    token_seeds = [line for line in token_seeds if line and not line.startswith("#")]
    for v in vectors["v1"] + vectors["v2"]:
        token_seeds.append(v["identifier"])
        token_seeds.extend(v["caveats"])
    corpora["token"] = [t.encode() for t in token_seeds]
    corpora["discharge"] = discharge_seeds()

    for target in TARGETS:
        directory = REGRESSIONS / target
        if directory.is_dir():
            corpora[target] += [f.read_bytes() for f in sorted(directory.iterdir()) if f.is_file()]

    clean = "--clean" in sys.argv[1:]
    for target in TARGETS:
        directory = CORPUS / target
        if clean and directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True, exist_ok=True)
        names = set()
        for data in corpora[target]:
            name = hashlib.sha1(data).hexdigest()
            names.add(name)
            (directory / name).write_bytes(data)
        print(f"{target}: {len(names)} seeds in {directory.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
