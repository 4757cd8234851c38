#!/bin/bash
# Heads of the shipped recipe for several seeds, from the pre-trained backbone and from random initialisation
# (the "random init" baseline), each evaluated on the held-out splits with bench/eval_tasks.py, then the
# mean ± std tables of bench/aggregate_seeds.py. Usage: bench/run_seeds.sh PRETRAINED_DIR OUT_DIR [SEEDS...]
# The pre-trained and random-init chains run side by side, one thread each; KINDS="random" (or "pretrained")
# runs one of them only (the random-init chain needs no pre-trained model, so it can run during pre-training).
set -euo pipefail
pretrained=$1; out=$2; shift 2
seeds=${*:-0 1 2}
py=${PYTHON:-.venv/bin/python}
mkdir -p "$out"

chain() {  # chain KIND: KIND = pretrained | random
    for seed in $seeds; do
        if [ "$1" = pretrained ]; then
            work=$out/s$seed; name=AnyECG-small; from=(--from "$pretrained"); baselines=()
        else
            work=$out/r$seed; name="random init"; from=(--random-init); baselines=(--skip-baselines)
        fi
        $py -m anyecg_model.train.recipe.shipped --work "$work" "${from[@]}" --stages beats,rhythm,anomaly,leadgen \
            --seed "$seed" --threads 1 > "$work.log" 2>&1
        $py bench/eval_tasks.py --model "$work-leadgen" --name "$name" --seed "$seed" --threads 1 \
            "${baselines[@]}" --json "$work-eval.json" > "$work-eval.log" 2>&1
    done
}

for kind in ${KINDS:-pretrained random}; do chain "$kind" & done
wait
$py bench/aggregate_seeds.py "$out"/s*-eval.json "$out"/r*-eval.json --json "$out/summary.json" | tee "$out/summary.md"
