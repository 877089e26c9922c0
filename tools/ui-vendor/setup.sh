#!/usr/bin/env bash
# Vendors the browser UI's third-party front-end packages; safe to run again.
#   * npm packages pinned in package-lock.json, with `npm ci --ignore-scripts` (only when the
#     lock changed since the last install, or node_modules is missing);
#   * copies the Spine web player (@esotericsoftware/spine-player: its unminified IIFE
#     bundle, its CSS and its licence) into src/spinelift/web/ui/vendor/spine-player/,
#     which the web app serves under /vendor (git-ignored: never checked in).
# SPINELIFT_UI_VENDOR_DIR names another target folder (the app reads the same variable).
# Needs node >= 20 and npm on PATH.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
target="${SPINELIFT_UI_VENDOR_DIR:-$repo/src/spinelift/web/ui/vendor}"
cd "$here"

fail() { echo "ui-vendor setup: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node not found: install Node.js >= 20 with npm"
command -v npm >/dev/null || fail "npm not found: install npm (it comes with Node.js)"

package="node_modules/@esotericsoftware/spine-player"
stamp="node_modules/.ui-vendor-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$package/package.json" ]; then
    echo "ui-vendor setup: npm packages up to date"
else
    echo "ui-vendor setup: npm ci in $here"
    # --ignore-scripts: the player needs no install script, and none may download anything
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
fi

version="$(node -p "require('./$package/package.json').version")"
out="$target/spine-player"
mkdir -p "$out"
cp "$package/dist/iife/spine-player.js" "$out/spine-player.js"
cp "$package/dist/spine-player.css" "$out/spine-player.css"
cp "$package/LICENSE" "$out/LICENSE"
printf '@esotericsoftware/spine-player %s (npm), copied by tools/ui-vendor/setup.sh\n' \
    "$version" > "$out/SOURCE"
echo "ui-vendor setup: Spine web player $version in $out"
