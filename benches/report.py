#!/usr/bin/env python3
"""Prints the ratio tables of `cargo bench --bench engine` from criterion's saved estimates.

Usage: python3 benches/report.py [target/criterion] [--baseline NAME] [--fastest]

- verify: this crate's in-place verify (`onezone_tokens`) against the bound (the SHA-256
  compressions the chain needs, each timed alone as `bound/sha256_block`, plus the token's base64
  decode `bound/decode_*`; the counts are in `bounds.json`, written by the bench), the naive
  floor, the path before issue 18 (`onezone_owned`) and the `macaroon` crate;
- escaped: the in-place verify of Onezone's escaped text against the same token in plain base64url;
- tokens: `UnverifiedToken::parse` + `token::Verifier::verify` against the engine's verify of the
  same text (key derived from the same secret, or kept) and the bound;
- mint and parse: against the `macaroon` crate and the naive floor; with `--baseline NAME`, also
  against the same rows saved by `cargo bench --bench engine -- --save-baseline NAME` (e.g. from a
  build of an older commit), for "no slower than before".
Medians throughout, or with `--fastest` each row's fastest sample (for a machine shared with
other work, where medians carry the others' load).

With `--across NAME[,NAME...]`, each row is read from several whole runs saved with
`cargo bench --bench engine -- --save-baseline NAME` instead of the last one: the median of their
medians, or with `--fastest` the fastest sample of them all. On a machine whose load comes and goes
for minutes at a time, one run can be disturbed for a whole group; three runs seldom all are.
"""
import json
import pathlib
import sys

args = [a for a in sys.argv[1:]]
# `--fastest`: each row's fastest sample (time / iterations) instead of the median: on a machine
# shared with other work, the fastest of criterion's 100 samples is the one least disturbed.
fastest = "--fastest" in args
args = [a for a in args if a != "--fastest"]
baseline = None
if "--baseline" in args:
    i = args.index("--baseline")
    baseline = args[i + 1]
    del args[i : i + 2]
across = None
if "--across" in args:
    i = args.index("--across")
    across = args[i + 1].split(",")
    del args[i : i + 2]
root = pathlib.Path(args[0] if args else "target/criterion")


def median_ns(group, contender, run="new"):
    """A row's time: from the last run ("new"), the `--across` runs, or a saved baseline."""
    if run == "new" and across:
        times = [t for t in (one_run_ns(group, contender, r) for r in across) if t is not None]
        if len(times) < len(across):
            return None
        if fastest:
            return min(times)
        times.sort()
        mid = len(times) // 2
        return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2
    return one_run_ns(group, contender, run)


def one_run_ns(group, contender, run):
    if fastest:
        path = root / group / contender / run / "sample.json"
        if not path.exists():
            return None
        sample = json.loads(path.read_text())
        return min(t / n for t, n in zip(sample["times"], sample["iters"]))
    path = root / group / contender / run / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def fmt(ns):
    if ns is None:
        return "n/a"
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


def ratio(a, b, digits=2):
    return "n/a" if a is None or b is None else f"{a / b:.{digits}f}"


bounds_path = root / "bounds.json"
bounds = json.loads(bounds_path.read_text()) if bounds_path.exists() else {}
block = median_ns("bound", "sha256_block")


def bound_ns(group):
    b = bounds.get(group)
    if b is None or block is None:
        return None
    decode = median_ns("bound", b["decode"]) if b["decode"] else 0
    return None if decode is None else b["compressions"] * block + decode


def groups(*prefixes):
    names = [p.name for p in root.iterdir() if p.is_dir()]
    return sorted(n for n in names if any(n.startswith(p) for p in prefixes))


print(f"SHA-256 compression (SHA-256 of 55 bytes): {fmt(block)}")
print()
print("| verify | onezone-tokens | bound (compressions) | vs bound | naive floor | vs floor | before (owned path) | speed-up vs before | macaroon 0.3 | speed-up vs macaroon |")
print("|---|---|---|---|---|---|---|---|---|---|")
for g in groups("verify_", "verifykept_"):
    if g.endswith("_escaped"):
        continue
    ours = median_ns(g, "onezone_tokens")
    if ours is None:
        continue
    owned, theirs, floor = (median_ns(g, c) for c in ("onezone_owned", "macaroon_crate", "naive_floor"))
    bound = bound_ns(g)
    n = bounds.get(g, {}).get("compressions", "?")
    print(f"| {g} | {fmt(ours)} | {fmt(bound)} ({n}) | {ratio(ours, bound)} | {fmt(floor)} | {ratio(ours, floor)} | {fmt(owned)} | {ratio(owned, ours, 1)}x | {fmt(theirs)} | {ratio(theirs, ours, 1)}x |")

print()
print("| escaped text | escaped | plain | escaped / plain | escaped, owned path | plain, owned path |")
print("|---|---|---|---|---|---|")
for g in groups("verifykept_"):
    if not g.endswith("_escaped"):
        continue
    plain_group = g[: -len("_escaped")]
    esc, plain = median_ns(g, "onezone_tokens"), median_ns(plain_group, "onezone_tokens")
    esc_owned, plain_owned = median_ns(g, "onezone_owned"), median_ns(plain_group, "onezone_owned")
    print(f"| {g} | {fmt(esc)} | {fmt(plain)} | {ratio(esc, plain)} | {fmt(esc_owned)} | {fmt(plain_owned)} |")
for name in ("token_access", "token_invite"):
    esc, plain = median_ns(name, "onezone_tokens"), median_ns(name + "_plain", "onezone_tokens")
    if esc is not None:
        print(f"| {name} (token::Verifier) | {fmt(esc)} | {fmt(plain)} | {ratio(esc, plain)} | | |")

print()
print("| token | token::Verifier (parse + verify) | engine, key derived | vs engine | engine, key kept | vs engine, key kept | bound | vs bound |")
print("|---|---|---|---|---|---|---|---|")
for g in groups("token_"):
    ours, eng, kept = (median_ns(g, c) for c in ("onezone_tokens", "engine", "engine_kept"))
    bound = bound_ns(g)
    print(f"| {g} | {fmt(ours)} | {fmt(eng)} | {ratio(ours, eng)} | {fmt(kept)} | {ratio(ours, kept)} | {fmt(bound)} | {ratio(ours, bound)} |")

print()
head = "| operation | onezone-tokens | macaroon 0.3 | naive floor | speed-up vs macaroon | vs naive floor |"
sep = "|---|---|---|---|---|---|"
if baseline:
    head += f" {baseline} | vs {baseline} |"
    sep += "---|---|"
print(head)
print(sep)
for g in groups("mint", "parse_", "thirdparty"):
    ours, theirs, floor = (median_ns(g, c) for c in ("onezone_tokens", "macaroon_crate", "naive_floor"))
    if ours is None or theirs is None:
        continue
    row = f"| {g} | {fmt(ours)} | {fmt(theirs)} | {fmt(floor)} | {ratio(theirs, ours, 1)}x | {ratio(ours, floor)} |"
    if baseline:
        before = median_ns(g, "onezone_tokens", baseline)
        row += f" {fmt(before)} | {ratio(ours, before)} |"
    print(row)
