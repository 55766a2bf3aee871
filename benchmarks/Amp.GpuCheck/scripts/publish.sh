#!/usr/bin/env bash
# Run on the development machine: publishes the GPU check self-contained for linux-x64 (the GPU machine has no
# .NET), invariant globalization, and packs it with run.sh into artifacts/gpu-check.tar.gz (must stay < 64 MiB).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=artifacts/gpu-check
rm -rf "$out" artifacts/gpu-check.tar.gz
mkdir -p "$out"
dotnet publish benchmarks/Amp.GpuCheck/Amp.GpuCheck.csproj -c Release -r linux-x64 --self-contained \
  -p:InvariantGlobalization=true -p:DebugType=none -p:GenerateDocumentationFile=false -o "$out/Amp.GpuCheck" >/dev/null
cp benchmarks/Amp.GpuCheck/scripts/run.sh "$out/"
tar -C "$out" -czf artifacts/gpu-check.tar.gz Amp.GpuCheck run.sh
size=$(stat -c %s artifacts/gpu-check.tar.gz)
echo "artifacts/gpu-check.tar.gz: $((size / 1024 / 1024)) MiB ($size bytes)"
if [ "$size" -ge $((64 * 1024 * 1024)) ]; then
  echo "the bundle is over 64 MiB" >&2
  exit 1
fi
