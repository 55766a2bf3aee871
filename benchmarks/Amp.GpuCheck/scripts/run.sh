#!/usr/bin/env bash
# Run on the GPU machine (no .NET there): unpacks the bundle made by publish.sh and runs the check, under
# 5 minutes. Usage: run.sh [bundle.tar.gz] [check options, e.g. --quick]. The table is also written to
# $OUT/gpu-check.txt when OUT is set.
set -euo pipefail
bundle="${1:-artifacts/gpu-check.tar.gz}"
shift || true
work=$(mktemp -d)
tar -xzf "$bundle" -C "$work"
chmod +x "$work/Amp.GpuCheck/Amp.GpuCheck"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi not available"
timeout 300 "$work/Amp.GpuCheck/Amp.GpuCheck" "$@" | tee "${OUT:-$work}/gpu-check.txt"
