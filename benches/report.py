#!/usr/bin/env python3
"""Prints the ratio table of `cargo bench --bench engine` from criterion's saved estimates.

Usage: python3 benches/report.py [target/criterion]
For each group: the median time of each contender, how many times faster this crate is than the
`macaroon` crate, and this crate's time relative to the naive floor (1.00 = as fast as the floor).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
CONTENDERS = ["onezone_tokens", "macaroon_crate", "naive_floor"]


def median_ns(group, contender):
    path = root / group / contender / "new" / "estimates.json"
    if not path.exists():
        return None
    return json.loads(path.read_text())["median"]["point_estimate"]


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


groups = sorted(p.name for p in root.iterdir() if p.is_dir() and p.name.split("_")[0] in ("mint", "mintkept", "parse", "verify", "verifykept", "thirdparty"))
print("| operation | onezone-tokens | macaroon 0.3 | naive floor | speed-up vs macaroon | vs naive floor |")
print("|---|---|---|---|---|---|")
for g in groups:
    ours, theirs, floor = (median_ns(g, c) for c in CONTENDERS)
    if None in (ours, theirs):
        continue
    # Third-party groups have no naive floor.
    floor_cols = "n/a | n/a" if floor is None else f"{fmt(floor)} | {ours / floor:.2f}"
    floor_time, floor_ratio = floor_cols.split(" | ")
    print(f"| {g} | {fmt(ours)} | {fmt(theirs)} | {floor_time} | {theirs / ours:.1f}x | {floor_ratio} |")
