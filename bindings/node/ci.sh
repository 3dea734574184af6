#!/usr/bin/env bash
# Builds the Node.js addon and the mock cluster, then runs the Node test suite against it,
# and the compat test (code written for the official @fluvio/client) against the official
# package too. Works on a fresh clone: needs cargo, node (>= 18) and npm; the addon has no
# npm dependencies; the official package (and TypeScript to compile it) is installed into
# a scratch directory by scripts/official-client.sh. PROFILE=release builds optimised
# (default: debug, shared with `cargo test`).
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
profile="${PROFILE:-debug}"
case "$profile" in
  debug) flags=() ;;
  release) flags=(--release) ;;
  *) echo "PROFILE must be debug or release" >&2; exit 2 ;;
esac

echo "==> build the addon (${profile}) and flv-mock-cluster"
cargo build ${flags[@]+"${flags[@]}"} -p flv-mock-cluster
if [ "$profile" = debug ]; then npm run --silent build:debug; else npm run --silent build; fi
target="${CARGO_TARGET_DIR:-$root/target}/$profile"

echo "==> npm test (node $(node --version))"
FLV_MOCK_CLUSTER="$target/flv-mock-cluster" npm test

echo "==> compat test against the official @fluvio/client 0.14.9 (same file as above)"
official="$(bash scripts/official-client.sh "${FLV_OFFICIAL_DIR:-${TMPDIR:-/tmp}/flv-official-client}")"
RUST_LOG=off FLV_COMPAT_CLIENT="$official" FLV_MOCK_CLUSTER="$target/flv-mock-cluster" node --test test/compat.test.js

echo "==> index.d.ts: official-style and flv-style code type-checks (tsc --strict)"
modules="$(cd "$official/../.." && pwd)"
"$modules/.bin/tsc" --noEmit --strict --target es2022 --module commonjs --moduleResolution node \
  --esModuleInterop --typeRoots "$modules/@types" --types node test-support/types-check.ts
