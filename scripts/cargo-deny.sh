#!/usr/bin/env bash
# `cargo deny check` with the repository's deny.toml, installing cargo-deny if missing.
# The advisory database is fetched from GitHub. Where that is unreachable (a network
# limited to package registries) there are two ways:
# - FLV_ADVISORY_DB=PATH names a git checkout (or bare clone) of
#   github.com/rustsec/advisory-db obtained some other way; the advisories check then runs
#   offline against it and prints the database's commit date;
# - otherwise the advisories check is skipped with a warning, and the licenses, bans and
#   sources checks still run.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo deny --version >/dev/null 2>&1; then
  cargo install --locked cargo-deny
fi
if cargo deny fetch db >/dev/null 2>&1; then
  cargo deny check
elif [ -n "${FLV_ADVISORY_DB:-}" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s|^\[advisories\]|[advisories]\ndb-path = \"$tmp/dbs\"|" deny.toml >"$tmp/deny.toml"
  # cargo-deny names the database directory after its URL; ask it where it looks.
  dir=$(cargo deny --offline --config "$tmp/deny.toml" check advisories 2>&1 |
    grep -o "$tmp/dbs/advisory-db-[0-9a-f]*" | head -n1 || true)
  if [ -z "$dir" ]; then
    echo "cannot find where cargo-deny expects its advisory database" >&2
    exit 1
  fi
  git clone -q "$FLV_ADVISORY_DB" "$dir"
  echo "advisory database: $(git -C "$dir" log -1 --format='%H of %cI') (from FLV_ADVISORY_DB)"
  cargo deny --offline --config "$tmp/deny.toml" check
else
  echo "WARNING: the advisory database cannot be fetched: checking licenses, bans and sources only"
  echo "         (set FLV_ADVISORY_DB to a checkout of rustsec/advisory-db to check advisories offline)"
  cargo deny check licenses bans sources
fi
