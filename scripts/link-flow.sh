#!/usr/bin/env bash
# Puts the `flow` command on PATH: a symlink to this checkout's bin/flow.js in the first
# writable bin folder: $FLOW_BIN_DIR when set, else /usr/local/bin, else ~/.local/bin (a folder
# already on PATH first). It never replaces a `flow` that is not such a link (the Python Flow
# CLI installs one). Exit 0: `flow` now runs this checkout; 1: use `npx flow` (it says why).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd -P)
target="$repo/bin/flow.js"

on_path() { case ":$PATH:" in *":$1:"*) return 0 ;; esac; return 1; }

# A link we may replace: none yet, or a link to some checkout's bin/flow.js (this one or another).
replaceable() {
  [ ! -e "$1" ] && [ ! -L "$1" ] && return 0
  [ -L "$1" ] && case "$(readlink "$1")" in */bin/flow.js) return 0 ;; esac
  return 1
}

if [ -n "${FLOW_BIN_DIR:-}" ]; then
  candidates=("$FLOW_BIN_DIR")
else
  candidates=()
  # Folders on PATH first: a link there works in this shell at once.
  for dir in /usr/local/bin "$HOME/.local/bin"; do on_path "$dir" && candidates+=("$dir"); done
  for dir in /usr/local/bin "$HOME/.local/bin"; do on_path "$dir" || candidates+=("$dir"); done
fi

link=""
for dir in "${candidates[@]}"; do
  mkdir -p "$dir" 2>/dev/null || continue
  [ -w "$dir" ] || continue
  if ! replaceable "$dir/flow"; then
    echo "note: $dir/flow is not a link to a Flow checkout (another flow CLI?); leaving it" >&2
    continue
  fi
  ln -sfn "$target" "$dir/flow"
  link="$dir/flow"
  break
done

if [ -z "$link" ]; then
  echo "note: could not put flow on PATH (tried: ${candidates[*]}); use: npx flow" >&2
  echo "      or choose a folder: FLOW_BIN_DIR=~/bin bash scripts/link-flow.sh" >&2
  exit 1
fi
echo "flow command: $link -> $target" >&2
if ! "$link" --version >/dev/null 2>&1; then
  echo "note: $link does not run yet (build first: npm run build); until then: npx flow" >&2
  exit 1
fi
dir=$(dirname "$link")
if ! on_path "$dir"; then
  echo "note: $dir is not on PATH; add it (e.g. in ~/.bashrc): export PATH=\"$dir:\$PATH\"" >&2
  echo "      until then: npx flow (or $link)" >&2
  exit 1
fi
found=$(type -P flow || true)
if [ "$found" != "$link" ]; then
  echo "note: flow on PATH is $found, which comes before $dir; use $link or put $dir first on PATH" >&2
  exit 1
fi
exit 0
