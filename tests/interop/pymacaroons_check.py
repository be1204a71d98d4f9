#!/usr/bin/env python3
"""Cross-check helper for tests/interop_pymacaroons.rs: pymacaroons on the other side.

Needs Python 3 and pymacaroons (``python3 -m pip install pymacaroons==0.13.0``, which brings
PyNaCl and six). Binary values travel as hex so that nothing is lost in JSON.

Commands (one JSON object per line on stdin, one JSON object per line on stdout):

``probe``
    No input. Prints ``{"pymacaroons": VERSION}`` and exits 0 if pymacaroons imports,
    else prints the import error on stderr and exits 3.

``mint``
    Input lines: ``{"secret_hex", "location", "identifier_hex", "caveats": [str], "version": 1|2}``.
    Mints with pymacaroons (``Macaroon(key=secret)`` derives the key as libmacaroons does) and
    prints the input fields plus ``"binary"`` (``Macaroon.serialize()``: V1 or V2 by version,
    base64url without padding), ``"json"`` (``JsonSerializer``: pymacaroons' own JSON for V1,
    V2 JSON for V2) and ``"signature_hex"``.

``mint_tp``
    Input lines: ``{"secret_hex", "location", "identifier_hex", "caveats": [str], "version",
    "third_party": {"location", "key_hex", "id_hex", "nonce_hex", "caveats": [str]}}``. Mints the
    macaroon with pymacaroons, adds the third-party caveat (``add_third_party_caveat`` with the
    given nonce, so the output is reproducible), mints the discharge (``Macaroon(key=key,
    identifier=id)``, pymacaroons derives the key as libmacaroons does) with its caveats and binds
    it (``prepare_for_request``). Prints ``"binary"``, ``"json"``, ``"discharge_binary"``,
    ``"discharge_json"`` (bound) and ``"signature_hex"``.

``verify``
    Input lines: ``{"token", "secret_hex", "satisfy": [str], "discharges": [str]}`` (discharges
    optional, read as the token is and passed to ``Verifier.verify``). A token starting with ``{`` is
    read with ``JsonSerializer``, anything else with the default (binary) serializer. Prints
    ``{"ok": bool, "error": str|null}`` and, when the token parsed, what pymacaroons read:
    ``version``, ``location``, ``identifier_hex``, ``caveats``
    (``[{"id_hex", "vid_hex"|null, "location"|null}]``) and ``signature_hex``.
"""

import json
import sys


def _hex(value):
    return None if value is None else bytes(value).hex()


def probe():
    try:
        import pymacaroons
    except Exception as error:  # ImportError, or a broken PyNaCl
        print("pymacaroons cannot be imported: %r" % (error,), file=sys.stderr)
        return 3
    print(json.dumps({"pymacaroons": getattr(pymacaroons, "__version__", "unknown")}))
    return 0


def mint(lines):
    from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon
    from pymacaroons.serializers.json_serializer import JsonSerializer

    for line in lines:
        spec = json.loads(line)
        version = {1: MACAROON_V1, 2: MACAROON_V2}[spec["version"]]
        m = Macaroon(
            location=spec["location"],
            identifier=bytes.fromhex(spec["identifier_hex"]),
            key=bytes.fromhex(spec["secret_hex"]),
            version=version,
        )
        for predicate in spec["caveats"]:
            m.add_first_party_caveat(predicate)
        out = dict(spec)
        out["binary"] = m.serialize()
        out["json"] = m.serialize(JsonSerializer())
        out["signature_hex"] = m.signature
        print(json.dumps(out), flush=True)
    return 0


def mint_tp(lines):
    from pymacaroons import MACAROON_V1, MACAROON_V2, Macaroon
    from pymacaroons.serializers.json_serializer import JsonSerializer

    for line in lines:
        spec = json.loads(line)
        version = {1: MACAROON_V1, 2: MACAROON_V2}[spec["version"]]
        m = Macaroon(
            location=spec["location"],
            identifier=bytes.fromhex(spec["identifier_hex"]),
            key=bytes.fromhex(spec["secret_hex"]),
            version=version,
        )
        for predicate in spec["caveats"]:
            m.add_first_party_caveat(predicate)
        tp = spec["third_party"]
        key = bytes.fromhex(tp["key_hex"])
        caveat_id = bytes.fromhex(tp["id_hex"])
        m.add_third_party_caveat(
            tp["location"], key, caveat_id, nonce=bytes.fromhex(tp["nonce_hex"])
        )
        d = Macaroon(location=tp["location"], identifier=caveat_id, key=key, version=version)
        for predicate in tp["caveats"]:
            d.add_first_party_caveat(predicate)
        bound = m.prepare_for_request(d)
        out = dict(spec)
        out["binary"] = m.serialize()
        out["json"] = m.serialize(JsonSerializer())
        out["discharge_binary"] = bound.serialize()
        out["discharge_json"] = bound.serialize(JsonSerializer())
        out["signature_hex"] = m.signature
        print(json.dumps(out), flush=True)
    return 0


def _read(token):
    from pymacaroons import Macaroon
    from pymacaroons.serializers.json_serializer import JsonSerializer

    if token.startswith("{"):
        return Macaroon.deserialize(token, JsonSerializer())
    return Macaroon.deserialize(token)


def verify(lines):
    from pymacaroons import Verifier

    for line in lines:
        request = json.loads(line)
        token = request["token"]
        out = {"ok": False, "error": None}
        try:
            m = _read(token)
            discharges = [_read(d) for d in request.get("discharges", [])]
        except Exception as error:
            out["error"] = "deserialize: %s: %s" % (type(error).__name__, error)
            print(json.dumps(out), flush=True)
            continue
        out["version"] = m.version
        out["location"] = m.location
        out["identifier_hex"] = _hex(m.identifier_bytes)
        out["caveats"] = [
            {
                "id_hex": _hex(c.caveat_id_bytes),
                "vid_hex": _hex(c.verification_key_id),
                "location": c.location,
            }
            for c in m.caveats
        ]
        out["signature_hex"] = m.signature
        verifier = Verifier()
        for predicate in request["satisfy"]:
            verifier.satisfy_exact(predicate)
        try:
            key = bytes.fromhex(request["secret_hex"])
            out["ok"] = verifier.verify(m, key, discharges) is True
        except Exception as error:
            out["error"] = "verify: %s: %s" % (type(error).__name__, error)
        print(json.dumps(out), flush=True)
    return 0


def main(argv):
    commands = {"mint": mint, "mint_tp": mint_tp, "verify": verify}
    if len(argv) != 2 or (argv[1] != "probe" and argv[1] not in commands):
        print("usage: pymacaroons_check.py probe|mint|mint_tp|verify < json-lines", file=sys.stderr)
        return 2
    if argv[1] == "probe":
        return probe()
    lines = [line for line in sys.stdin.read().splitlines() if line.strip()]
    return commands[argv[1]](lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
