#!/usr/bin/env bash
# The test suite on each supported Node line with the @pulumi/pulumi it gets:
#   node 20: this machine's Node and the locked @pulumi/pulumi (3.248.x, the newest allowing Node 20)
#   node 24: Node 24 from the npm registry (the `node` package) and the newest @pulumi/pulumi
# Each leg runs in a fresh clone of this repository's HEAD, so only committed work is tested.
# Usage: bash scripts/node-matrix.sh [20] [24]     (default: both)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
legs=("$@")
[ ${#legs[@]} -eq 0 ] && legs=(20 24)
work="$(mktemp -d "${TMPDIR:-/tmp}/vobiz-matrix-XXXXXX")"
trap 'rm -rf "$work"' EXIT
declare -A result

run_leg() {
  local line="$1" clone="$work/repo-$1"
  git clone --quiet "$root" "$clone"
  (
    cd "$clone"
    if [ "$line" != 20 ]; then
      # A Node binary from the npm registry, first on PATH for npm, the tests and the provider host.
      npm install --prefix "$work/node$line" --no-save --no-audit --no-fund "node@$line" > /dev/null
      export PATH="$work/node$line/node_modules/node/bin:$PATH"
    fi
    echo "== node $(node --version), npm $(npm --version)"
    npm ci --no-audit --no-fund > /dev/null
    if [ "$line" != 20 ]; then
      npm install --no-audit --no-fund --save-dev "@pulumi/pulumi@latest" > /dev/null
    fi
    echo "== @pulumi/pulumi $(node -p 'require("@pulumi/pulumi/package.json").version')"
    local rc=0
    npm test > "$work/test-$line.log" 2>&1 || rc=$?
    # Node 20 prints TAP when not on a terminal, Node 24 its spec reporter: show either summary.
    grep -E '^(# |ℹ )(tests|suites|pass|fail|cancelled|skipped) |^not ok|^✖ ' "$work/test-$line.log" || true
    if [ "$rc" -ne 0 ]; then tail -50 "$work/test-$line.log"; fi
    return "$rc"
  )
}

status=0
for line in "${legs[@]}"; do
  if run_leg "$line"; then result[$line]=passed; else result[$line]=FAILED; status=1; fi
done
echo
for line in "${legs[@]}"; do echo "node $line: ${result[$line]}"; done
exit $status
