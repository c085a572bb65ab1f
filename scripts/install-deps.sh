#!/usr/bin/env bash
# Installs LayerLens' build and test dependencies from Debian 12 packages.
# Idempotent: prints nothing and touches nothing when everything is present.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-svg-dev qt6-qpa-plugins libqcustomplot-dev
  libopencv-dev libeigen3-dev nlohmann-json3-dev zlib1g-dev libblis4-serial
  libcurl4-openssl-dev libssl-dev libarchive-dev libgraphviz-dev libonnx-dev libprotobuf-dev
  protobuf-compiler
  libgtest-dev libbenchmark-dev
  xvfb xauth
  dpkg-dev desktop-file-utils appstream lintian
  clang libclang-rt-14-dev libomp-dev
)
# Optional extras: "--with-torch" adds Debian's PyTorch for the side-by-side speed comparison.
if [[ "${1:-}" == "--with-torch" ]]; then
  PACKAGES+=(python3-torch python3-torchvision python3-onnx libopenblas0-pthread)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
