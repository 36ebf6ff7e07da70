#!/usr/bin/env bash
# Train every recipe behind docs/results.md, then regenerate it.
# Usage: scripts/reproduce_results.sh [DATA_DIR] [RUNS_DIR]   (defaults: ../shared/data, runs/results)
# Days of CPU on a 2-core machine (every recipe on seeds 0, 1, 2); each run resumes if interrupted.
set -euo pipefail
DATA=${1:-../shared/data}
RUNS=${2:-runs/results}
mkdir -p "$RUNS"
run() {  # run NAME MODEL DATASET [extra convnets train flags...]
  local name=$1 model=$2 dataset=$3; shift 3
  local out="$RUNS/$name"
  local resume=()
  [ -d "$out/checkpoints" ] && resume=(--resume)
  [ -f "$out/metrics.json" ] && return 0
  convnets train "$model" --dataset "$dataset" --data-dir "$DATA" --out "$out" --quiet "${resume[@]}" "$@"
}
MINIS=$(python -c "from convnets.recipes import MINIS; print(' '.join(MINIS))")  # every registered mini
# A result is a claim about a recipe, not a seed: seeds 0, 1 and 2 (seed 0's runs keep their plain names).
for seed in 0 1 2; do
  sfx=""; [ "$seed" != 0 ] && sfx="-seed$seed"
  run "lenet5-digits$sfx" lenet5 digits --seed "$seed"
  run "lenet5-mnist$sfx" lenet5 mnist --seed "$seed"
  run "lenet5_modern-fashion$sfx" lenet5_modern fashion_mnist --seed "$seed"
  for m in $MINIS; do
    run "$m-fashion$sfx" "$m" fashion_mnist --seed "$seed"  # the minis take it at 28x28x1 (recipes.model_options_for)
  done
  for m in $MINIS; do
    run "$m-cifar10$sfx" "$m" folder:cifar10-jpeg --seed "$seed"
  done
done
# Transfer: ResNet-20 pre-trained on the CIFAR-10 folder, then 10% of Fashion-MNIST (6,000 images, upscaled
# to 32x32x3), fine-tuned against from scratch: the same recipe, epochs and images (results.md's transfer table).
FAST=$(python -c "from convnets.recipes import comparison_flags; print(' '.join(comparison_flags()))")
# shellcheck disable=SC2086
run resnet20-cifar10-pretrain resnet20 folder:cifar10-jpeg $FAST
for seed in 0 1 2; do
  # shellcheck disable=SC2086
  run "resnet20-fashion6k-scratch-seed$seed" resnet20 fashion_mnist --input-shape 32,32,3 --train-subset 6000 \
    --seed "$seed" $FAST
  # shellcheck disable=SC2086
  run "resnet20-fashion6k-finetuned-seed$seed" resnet20 fashion_mnist --input-shape 32,32,3 --train-subset 6000 \
    --seed "$seed" --init-from "$RUNS/resnet20-cifar10-pretrain" $FAST
done
python scripts/results.py "$RUNS"/*/ --out docs/results.md --readme README.md
python scripts/architecture_pages.py  # their "Measured" sections read docs/results.json
