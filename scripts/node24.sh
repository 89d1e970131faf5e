#!/usr/bin/env bash
# Node.js 24 (the LTS line) beside the machine's Node 20, for running the platform, its tests or its benchmarks on
# it: fetched from the npm registry, where the node-linux-<arch> package carries the official binary (npm checks
# the tarball against the registry's integrity hash), unpacked once into .cache/, and its bin directory printed.
#
#   PATH="$(scripts/node24.sh):$PATH" pnpm test        # or pnpm start, pnpm bench streaming
#
# NODE24_VERSION overrides the version (default: the one CI and the README's measurements used).
set -euo pipefail

VERSION=${NODE24_VERSION:-24.21.0}
cd "$(dirname "${BASH_SOURCE[0]}")/.."

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "node24.sh: no node-linux package for $(uname -m)" >&2; exit 1 ;;
esac
dir="$PWD/.cache/node-v$VERSION-linux-$arch"

if [[ ! -x $dir/bin/node ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "node24.sh: fetching node-linux-$arch@$VERSION" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$VERSION" >/dev/null)
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/node-linux-$arch-$VERSION.tgz" -C "$tmp/x" --strip-components=1
  mkdir -p "$(dirname "$dir")"
  rm -rf "$dir"
  mv "$tmp/x" "$dir"
fi
got=$("$dir/bin/node" --version)
[[ $got == "v$VERSION" ]] || { echo "node24.sh: $dir/bin/node is $got, not v$VERSION" >&2; exit 1; }
echo "$dir/bin"
