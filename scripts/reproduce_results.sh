#!/usr/bin/env bash
# Train every recipe behind docs/results.md, then regenerate it.
# Usage: scripts/reproduce_results.sh [DATA_DIR] [RUNS_DIR]   (defaults: ../shared/data, runs/results)
# Hours of CPU on a 2-core machine; each run resumes if interrupted.
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
run lenet5-digits lenet5 digits
run lenet5-mnist lenet5 mnist
run lenet5_modern-fashion lenet5_modern fashion_mnist
for m in vgg_mini mobilenet_v2_mini googlenet_mini alexnet_mini mobilenet_v1_mini nin_mini densenet_mini resnet20; do
  run "$m-fashion" "$m" fashion_mnist  # the minis take it at 28x28x1 (recipes.model_options_for)
done
for m in resnet20 vgg_mini mobilenet_v2_mini googlenet_mini alexnet_mini mobilenet_v1_mini nin_mini densenet_mini; do
  run "$m-cifar10" "$m" folder:cifar10-jpeg
done
python scripts/results.py "$RUNS"/*/ --out docs/results.md --readme README.md
python scripts/architecture_pages.py  # their "Measured" sections read docs/results.json
