#!/usr/bin/env bash
# `cargo deny check` with the repository's deny.toml, installing cargo-deny if missing.
# The advisory database is fetched from GitHub; where that is unreachable (a network
# limited to package registries), the advisories check is skipped with a warning and
# the licenses, bans and sources checks still run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deny --version >/dev/null 2>&1; then
  cargo install --locked cargo-deny
fi
if cargo deny fetch db >/dev/null 2>&1; then
  cargo deny check
else
  echo "WARNING: the advisory database cannot be fetched: checking licenses, bans and sources only"
  cargo deny check licenses bans sources
fi
