#!/usr/bin/env bash
# Runs the fuzz targets, one after the other, each for SECONDS.
#
#   fuzz/run.sh SECONDS [TARGET...]      # default: all targets
#
# Inputs that find new coverage are added to fuzz/corpus/<target>/; crashes land in
# fuzz/artifacts/<target>/ and stop that target's run (the script goes on and exits non-zero).
# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain accept them.
# Extra libFuzzer flags can be passed in FUZZ_FLAGS (default: -max_len=4096).
# Afterwards, fuzz/minimize.sh keeps the committed corpus small.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
cd "$(dirname "$0")"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(v1 v2 json text forgery token discharge)
fi
read -r -a flags <<< "${FUZZ_FLAGS:--max_len=4096}"

status=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    echo "=== $target: ${seconds}s" >&2
    RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1 "${flags[@]}" || status=$?
done
exit "$status"
