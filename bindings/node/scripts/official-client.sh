#!/usr/bin/env bash
# Installs the official Fluvio Node.js client, @fluvio/client 0.14.9, into DIR (default:
# $TMPDIR/flv-official-client) for the compat test and the benchmark, and prints the path
# of the usable package.
#
# The package ships its native module prebuilt (dist/linux/index.node, x86_64 glibc, and
# dist/darwin/index.node) but not its JavaScript: its postinstall compiles src/index.ts.
# Installed with --ignore-scripts, it is compiled here with TypeScript 5 (TypeScript 6+
# rejects its tsconfig's `moduleResolution: node10`) and @types/node (its dev dependency).
set -euo pipefail
dir="${1:-${TMPDIR:-/tmp}/flv-official-client}"
mkdir -p "$dir"
cd "$dir"
[ -f package.json ] || echo '{"name":"flv-official-client","private":true}' >package.json
pkg="$dir/node_modules/@fluvio/client"
if [ ! -f "$pkg/dist/index.js" ]; then
  npm install --silent --ignore-scripts --no-audit --no-fund \
    @fluvio/client@0.14.9 typescript@5.9.3 @types/node@20.19.43 >&2
  (cd "$pkg" && "$dir/node_modules/.bin/tsc" -p .) >&2
fi
echo "$pkg"
