#!/usr/bin/env bash
# Installs every system dependency of facenorm from Debian 12's archive (PyPI is not used).
# Idempotent: packages already present are left alone; safe to run again.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libtorch-dev python3-torch
  libopencv-dev python3-opencv opencv-data
  libdlib-dev libdlib-data
  libeigen3-dev
  libhdf5-dev python3-h5py
  pybind11-dev python3-dev python3-numpy python3-setuptools python3-wheel python3-pip
  python3-pytest python3-tqdm python3-skimage python3-scipy python3-matplotlib python3-pil
  python3-torchvision python3-venv python3-nbclient python3-ipykernel
  python3-dask python3-distributed
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  bzip2 dpkg-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "facenorm: all system packages present" >&2
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "facenorm: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
