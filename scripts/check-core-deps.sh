#!/usr/bin/env bash
# flv-core is sans-IO: its normal dependency tree holds no async runtime, no socket crate
# and no clock crate, and its CRCs come from flv-crc only (no other CRC crate of its own).
set -euo pipefail
cd "$(dirname "$0")/.."

tree=$(cargo tree -p flv-core -e normal --prefix none --no-dedupe | awk '{print $1}' | sort -u)

# Runtimes, executors and reactors; sockets and polling; clocks and calendars.
forbidden='^(tokio|tokio-.*|async-std|async-global-executor|smol|async-io|async-net|async-executor|async-process|futures-executor|mio|polling|socket2|net2|nix|quanta|chrono|time|jiff|coarsetime|clock.*)$'
bad=$(grep -E "$forbidden" <<<"$tree" || true)
if [ -n "$bad" ]; then
  echo "flv-core depends on a runtime, socket or clock crate:"
  for c in $bad; do cargo tree -p flv-core -e normal -i "$c" | head -n 8; done
  exit 1
fi

# The core's direct dependencies: CRCs only through flv-crc.
direct=$(cargo tree -p flv-core -e normal --depth 1 --prefix none | awk 'NR > 1 {print $1}' | sort -u)
crc=$(grep -E '^(crc|crc32.*|crc-.*|crc64.*|crc-fast)$' <<<"$direct" || true)
if [ -n "$crc" ]; then
  echo "flv-core depends directly on a CRC crate other than flv-crc: $crc"
  exit 1
fi
grep -qx 'flv-crc' <<<"$direct" || { echo "flv-core does not take its CRC from flv-crc"; exit 1; }

echo "flv-core: $(wc -l <<<"$tree") crates in its normal tree, no runtime, socket or clock crate; CRC from flv-crc only"
