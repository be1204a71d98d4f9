#!/usr/bin/env bash
# Shrinks each target's corpus to a small set of inputs that still reaches every edge reached
# before (`cargo fuzz cmin`), then puts the seeds from the golden vectors back (fuzz/seed.py), so
# the committed corpus stays at a few hundred files per target. Edges only (-use_counters=0) and
# a greedy set cover (-set_cover_merge=1): the default merge keeps every input with a new hit
# count bucket, thousands of files for the text targets. Do not run it while a fuzzer is running
# on the same corpus.
#
#   fuzz/minimize.sh [TARGET...]      # default: all targets
set -euo pipefail
cd "$(dirname "$0")"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(v1 v2 json text forgery token discharge)
fi
for target in "${targets[@]}"; do
    RUSTC_BOOTSTRAP=1 cargo fuzz cmin "$target" "corpus/$target" -- \
        -max_len=4096 -use_counters=0 -set_cover_merge=1
done
python3 seed.py
