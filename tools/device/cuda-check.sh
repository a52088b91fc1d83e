#!/usr/bin/env bash
# The one call that shows issue 6 on a lent GPU machine (see shared/device/README.md).
#
#   bash tools/device/cuda-check.sh prepare   # here, once: builds, bundles, packs Node into .device/
#   bash tools/device/cuda-check.sh run       # there: the device tool's command, carrying .device
#
# `run` unpacks Node, uses the carried addon (or builds it there with nvcc against the carried N-API
# headers when it is missing or does not load), then runs .device/cuda-check.mjs: the core layer
# fixtures, 1,000 forwards for leaks, the speed table with PyTorch timed in the same run, every
# model's forward against wasm in fp32 and TF32, and ResNet-18 gradients against cpu, in that order
# (the CPU-bound references last). It writes cuda-check.json (after each section), gpu.txt,
# probe.json and log.txt to $OUT and prints a short table. No section starts after 500 s
# (--budget-s), inside the device's 600 s per command; a section cut off that way is named in the
# table, to be rerun alone: `bash tools/device/cuda-check.sh run --only zoo`.
set -uo pipefail
root=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
cd "$root"

prepare() {
  set -e
  pnpm --filter @convkit/backend-cuda... build
  npx tsc -p tools/device
  node tools/device/bundle.mjs
  bash "${PACK_NODE:-/work/shared/device/pack-node.sh}"
  du -sh .device
}

build_addon_there() {
  local nvcc=/usr/local/cuda/bin/nvcc
  echo "building the addon with $($nvcc --version | tail -1)"
  "$nvcc" -shared -Xcompiler -fPIC -cudart static -O2 -std=c++17 \
    -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90 \
    -I .device/node-include -o /tmp/convkit_cuda.node packages/backend-cuda/native/*.cu -ldl
  cp /tmp/convkit_cuda.node .device/convkit_cuda.node 2>/dev/null || true
  export CONVKIT_CUDA_ADDON=/tmp/convkit_cuda.node
}

run() {
  local out=${OUT:-.device/out}
  mkdir -p "$out"
  xz -dc .device/node.xz > /tmp/node && chmod +x /tmp/node
  export LD_LIBRARY_PATH=/usr/local/cuda-13.0/targets/x86_64-linux/lib:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv > "$out/gpu.txt" 2>&1
  cat "$out/gpu.txt"
  export CONVKIT_CUDA_ADDON=$PWD/.device/convkit_cuda.node
  if [ ! -f "$CONVKIT_CUDA_ADDON" ] || [ "${FORCE_BUILD:-0}" = 1 ] || \
     ! /tmp/node -e "require(process.env.CONVKIT_CUDA_ADDON).probe()" > /dev/null 2>&1; then
    build_addon_there
  fi
  /tmp/node -e "console.log(JSON.stringify(require(process.env.CONVKIT_CUDA_ADDON).probe()))" | tee "$out/probe.json"
  /tmp/node --max-old-space-size=24000 .device/cuda-check.mjs --out "$out" --wasm-dir .device/wasm --repo . "$@" 2>&1 | tee "$out/log.txt"
  return "${PIPESTATUS[0]}"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 prepare|run [cuda-check options, e.g. --only zoo,speed]" >&2; exit 64 ;;
esac
