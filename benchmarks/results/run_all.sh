#!/usr/bin/env bash
# Rerun every experiment of docs/results.md, one line per run, then print the test metrics.
#
#   bash benchmarks/results/run_all.sh [OUT]          # OUT defaults to runs/results
#   ONLY=adding bash benchmarks/results/run_all.sh    # only the runs whose name contains "adding"
#
# Each run is single-threaded (OMP_NUM_THREADS=1) except the Shakespeare model (2 threads); on a
# 2-core machine run at most two of these at once. Wall times in docs/results.md were measured
# on a shared 2-core CPU box; expect them to move with the machine's load.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-runs/results}
RNNLAB=${RNNLAB:-.venv/bin/rnnlab}
PY=${PY:-.venv/bin/python}
SHAKESPEARE=${SHAKESPEARE:-/work/shared/data/tinyshakespeare.txt}
mkdir -p "$OUT"

run() {  # run NAME SPLIT [train flags...]: train into $OUT/NAME, then evaluate last/ on SPLIT
    local name=$1 split=$2
    shift 2
    [[ -n ${ONLY:-} && $name != *"$ONLY"* ]] && return 0
    echo "== $name  ($(uptime | sed 's/.*load/load/'))"
    OMP_NUM_THREADS=${THREADS:-1} "$RNNLAB" train "$@" --progress false --overwrite true \
        --out-dir "$OUT/$name"
    OMP_NUM_THREADS=1 "$RNNLAB" evaluate "$OUT/$name" --split "$split" --batch-size 250
}

# -- adding problem, T = 100 (H&S 1997 Exp. 4) -------------------------------------------------
run adding-lstm test --task adding --family lstm --hidden-size 64 --forget-bias 5 --lr 1e-3 --clip-grad-norm 1 --batch-size 32 --steps 20000 --eval-every 200 --stop-when 'accuracy>=0.99' --seed 0
run adding-rnn  test --task adding --family rnn --hidden-size 64 --lr 1e-3 --clip-grad-norm 1 --batch-size 32 --steps 3600 --eval-every 200 --stop-when 'accuracy>=0.99' --seed 0
run adding-mlp  test --task adding --family mlp --window 5 --hidden-size 64 --lr 1e-3 --clip-grad-norm 1 --batch-size 32 --steps 3600 --eval-every 200 --stop-when 'accuracy>=0.99' --seed 0

# -- long time lag 2c, p = q = 1000 (H&S 1997 Exp. 2c) --------------------------------------------
run lag2c-lstm-ln test --task lag -p variant=2c -p p=1000 -p q=1000 --family lstm --forget-gate false --layer-norm true --hidden-size 16 --embedding-dim 16 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 3000 --eval-every 50 --eval-batches 8 --metric paper_accuracy --stop-when 'paper_accuracy>=1' --seed 0
if [[ -z ${ONLY:-} || lag2c-lstm-ln == *"$ONLY"* ]]; then  # 200 more steps, then the test set
    OMP_NUM_THREADS=1 "$RNNLAB" train --resume --out-dir "$OUT/lag2c-lstm-ln" --steps 300 --stop-when '' --progress false
    OMP_NUM_THREADS=1 "$RNNLAB" evaluate "$OUT/lag2c-lstm-ln" --split test --batch-size 250
fi

# -- cue-word, gaps 2..30, and accuracy at fixed gaps ---------------------------------------------
run cue-lstm test --task cue-word -p gap=2:30 --family lstm --hidden-size 64 --embedding-dim 32 --lr 3e-3 --steps 3000 --eval-every 100 --metric accuracy --stop-when 'accuracy>=0.99' --seed 0
run cue-gru  test --task cue-word -p gap=2:30 --family gru --hidden-size 64 --embedding-dim 32 --lr 3e-3 --steps 3000 --eval-every 100 --metric accuracy --stop-when 'accuracy>=0.99' --seed 0
run cue-rnn  test --task cue-word -p gap=2:30 --family rnn --hidden-size 64 --embedding-dim 32 --lr 3e-3 --clip-grad-norm 1 --steps 3000 --eval-every 100 --metric accuracy --stop-when 'accuracy>=0.99' --seed 0
run cue-mlp  test --task cue-word -p gap=2:30 --family mlp --window 5 --hidden-size 64 --embedding-dim 32 --lr 3e-3 --steps 3000 --eval-every 100 --metric accuracy --stop-when 'accuracy>=0.99' --seed 0
if [[ -z ${ONLY:-} || cue == *"$ONLY"* ]]; then
    OMP_NUM_THREADS=1 "$PY" -m benchmarks.results.memory_horizon "$OUT"/cue-{mlp,rnn,gru,lstm} --gaps 2 3 4 5 6 10 20 30 40 60
fi

# -- temporal order 6a (H&S 1997 Exp. 6a) -----------------------------------------------------------
run temporal-order-lstm test --task temporal-order -p variant=6a --family lstm --hidden-size 32 --forget-bias 5 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 5000 --eval-every 100 --metric accuracy --stop-when 'paper_accuracy>=0.999' --seed 0
for family in gru rnn mlp; do
    run "temporal-order-$family" test --task temporal-order -p variant=6a --family $family --hidden-size 32 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 3000 --eval-every 100 --metric accuracy --stop-when 'paper_accuracy>=0.999' --seed 0
done

# -- copy memory, T = 100 (Arjovsky et al. 2016) --------------------------------------------------
for family in lstm gru rnn mlp; do
    run "copy-$family" test --task copy --family $family --hidden-size 64 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 2000 --eval-every 200 --seed 0
done
run copy-lstm-fb5-8k test --task copy --family lstm --forget-bias 5 --hidden-size 64 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 8000 --eval-every 500 --seed 0
run copy-lstm1997-8k test --task copy --family lstm --forget-gate false --hidden-size 64 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 8000 --eval-every 500 --seed 0

# -- embedded Reber grammar (H&S 1997 Exp. 1) -------------------------------------------------------
for family in lstm gru rnn mlp; do
    run "reber-$family" test --task reber --family $family --hidden-size 32 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 2000 --eval-every 100 --metric accuracy --stop-when 'accuracy>=1' --seed 0
done

# -- JapaneseVowels, digits pixel by pixel and row by row ----------------------------------------
for family in lstm gru rnn mlp; do
    run "japanese-vowels-$family" test --task japanese-vowels --family $family --hidden-size 64 --lr 3e-3 --batch-size 16 --epochs 60 --eval-every 0 --metric accuracy --seed 0
done
for seed in 1 2; do
    run "japanese-vowels-lstm-seed$seed" test --task japanese-vowels --family lstm --hidden-size 64 --lr 3e-3 --batch-size 16 --epochs 60 --eval-every 0 --metric accuracy --seed $seed
done
run digits-pixels-lstm test --task digits-pixels --family lstm --hidden-size 128 --dropout 0.1 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 6000 --schedule cosine --eval-every 500 --metric accuracy --seed 0
for family in lstm gru rnn mlp; do
    run "digits-rows-$family" test --task digits-rows --family $family --hidden-size 128 --dropout 0.1 --lr 3e-3 --clip-grad-norm 1 --batch-size 32 --steps 2000 --schedule cosine --eval-every 500 --metric accuracy --seed 0
done

# -- forecasting: sunspots and co2, beside the last-value and ARIMA baselines -----------------------
for series in sunspots co2; do
    for family in lstm gru; do
        run "forecast-$series-$family" test --task forecast -p series=$series --family $family --hidden-size 64 --lr 1e-3 --batch-size 32 --steps 3000 --eval-every 100 --seed 0
    done
    run "forecast-$series-mlp5" test --task forecast -p series=$series --family mlp --hidden-size 64 --lr 1e-3 --batch-size 32 --steps 3000 --eval-every 100 --seed 0
    run "forecast-$series-mlp20" test --task forecast -p series=$series --family mlp --window 20 --hidden-size 64 --lr 1e-3 --batch-size 32 --steps 3000 --eval-every 100 --seed 0
done
if [[ -z ${ONLY:-} || forecast == *"$ONLY"* ]]; then  # final (last/) and best-validation (best/) weights
    OMP_NUM_THREADS=1 "$PY" -m benchmarks.results.forecast_baselines \
        --runs "$OUT"/forecast-*-{lstm,gru,mlp5,mlp20} "$OUT"/forecast-*-{lstm,gru,mlp5,mlp20}/best
fi

# -- Tiny Shakespeare, char LSTM, 10 minutes, 2 threads; scored on the whole validation split ------
THREADS=2 run shakespeare-lstm-2x256-seq25 valid --task text -p path="$SHAKESPEARE" -p seq_len=25 --family lstm --num-layers 2 --hidden-size 256 --embedding-dim 64 --dropout 0.1 --batch-size 64 --lr 5e-3 --warmup-steps 50 --schedule cosine --min-lr 1e-4 --steps 6300 --minutes 10 --clip-grad-norm 1 --eval-every 1000 --eval-batches 400 --seed 0
THREADS=2 run shakespeare-lstm-2x256 valid --task text -p path="$SHAKESPEARE" --family lstm --num-layers 2 --hidden-size 256 --embedding-dim 64 --dropout 0.2 --batch-size 64 --lr 3e-3 --warmup-steps 50 --schedule cosine --min-lr 1e-4 --steps 1400 --minutes 10 --clip-grad-norm 1 --eval-every 200 --eval-batches 100 --seed 0
THREADS=2 run shakespeare-lstm-2x384 valid --task text -p path="$SHAKESPEARE" --family lstm --num-layers 2 --hidden-size 384 --embedding-dim 64 --dropout 0.2 --batch-size 32 --lr 2e-3 --warmup-steps 50 --schedule cosine --min-lr 1e-4 --steps 1300 --minutes 10 --clip-grad-norm 1 --eval-every 200 --eval-batches 100 --seed 0
THREADS=2 run shakespeare-lstm-2x256-b32 valid --task text -p path="$SHAKESPEARE" --family lstm --num-layers 2 --hidden-size 256 --embedding-dim 64 --dropout 0.1 --batch-size 32 --lr 2e-3 --warmup-steps 50 --schedule cosine --min-lr 1e-4 --steps 2000 --minutes 10 --clip-grad-norm 1 --eval-every 400 --eval-batches 100 --seed 0
