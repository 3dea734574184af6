#!/usr/bin/env bash
# The web console in a real browser: starts the mock cluster and `flv gateway` on loopback,
# then two tabs of Debian's headless chromium chat through the console (chat.mjs).
# Self-contained on a fresh machine: installs chromium (apt) and puppeteer-core (npm) if
# missing. SCREENSHOT=path.png also saves a screenshot of the first tab.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"

if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q chromium >/dev/null
fi
if [ ! -d node_modules/puppeteer-core ]; then
  echo "==> npm install puppeteer-core"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi

echo "==> build flv and flv-mock-cluster"
cargo build -q -p flv-cli --bin flv -p flv-mock-cluster --bin flv-mock-cluster
target="${CARGO_TARGET_DIR:-$root/target}/debug"

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# The first line of a process's stdout, within 30 s.
first_line() {
  local file="$1"
  for _ in $(seq 300); do
    if [ -s "$file" ]; then head -n 1 "$file"; return 0; fi
    sleep 0.1
  done
  echo "no output in $file" >&2
  return 1
}

"$target/flv-mock-cluster" --spus 1 --port 0 >"$work/mock.out" 2>&1 &
pids+=($!)
sc="$(first_line "$work/mock.out")"
FLV_PROFILE_PATH="$work/profile" "$target/flv" -c "$sc" gateway --bind 127.0.0.1:0 >"$work/gateway.out" 2>&1 &
pids+=($!)
line="$(first_line "$work/gateway.out")"
url="${line##* listening on }"
echo "==> gateway at $url (cluster $sc); two chromium tabs chat"
node chat.mjs "$url" ${SCREENSHOT:+"$SCREENSHOT"}
