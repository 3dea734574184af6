#!/usr/bin/env bash
# Builds the Python binding into a fresh venv (`pip install ./bindings/python`: PEP 517,
# maturin from PyPI, cargo), installs pytest and the official `fluvio` 0.21.0 package, and
# runs the pytest suite against the `flv-mock-cluster` binary (each test that takes the
# `fl` fixture runs with flv and with the official package).
# Needs cargo and python3 (>= 3.9) with venv; installs python3-venv with apt if missing.
# A test that hangs fails after 120 s (pytest-timeout).
# PROFILE=release builds the module optimised (default: the dev profile, faster to build).
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
profile="${PROFILE:-debug}"
python="${PYTHON:-python3}"
venv="${FLV_PY_VENV:-${CARGO_TARGET_DIR:-$root/target}/python-ci-venv}"
case "$profile" in
  debug) maturin_args="--profile dev" ;;
  release) maturin_args="--release" ;;
  *) echo "PROFILE must be debug or release" >&2; exit 2 ;;
esac

echo "==> build flv-mock-cluster"
cargo build -q -p flv-mock-cluster

echo "==> fresh venv ($("$python" --version))"
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  rm -rf "$venv" && "$python" -m venv "$venv"
fi

echo "==> pip install ./bindings/python (${profile})"
MATURIN_PEP517_ARGS="$maturin_args" "$venv/bin/pip" install -q --disable-pip-version-check .
"$venv/bin/pip" install -q --disable-pip-version-check pytest pytest-timeout fluvio==0.21.0

echo "==> pytest (flv and the official fluvio against the mock cluster)"
# Run from the tests directory so that `flv` is the installed wheel, not the source tree.
# pytest exits 5 when it collects no test: that fails this script like any failure.
cd tests
FLV_REQUIRE_OFFICIAL=1 FLV_MOCK_CLUSTER="${CARGO_TARGET_DIR:-$root/target}/debug/flv-mock-cluster" \
  "$venv/bin/python" -m pytest -q -p no:cacheprovider --timeout 120
