#!/usr/bin/env bash
# Installs what the official-runtime checks need; safe to run again (does nothing when set up).
#   * npm packages pinned in package-lock.json, with `npm ci` (only when the lock changed
#     since the last install, or node_modules is missing);
#   * Debian's chromium and chromium-driver when /usr/bin/chromium is missing (as root
#     only; otherwise it prints the command). SPINE_CHECK_CHROMIUM names another Chromium.
# Needs node >= 20 and npm on PATH (the machine's own Node.js).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() { echo "spine-check setup: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node not found: install Node.js >= 20 with npm"
command -v npm >/dev/null || fail "npm not found: install npm (it comes with Node.js)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || fail "node $(node --version) is too old: playwright-core needs >= 20"

stamp="node_modules/.spine-check-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
    && [ -f node_modules/@esotericsoftware/spine-core/package.json ] \
    && [ -f node_modules/@esotericsoftware/spine-webgl/package.json ] \
    && [ -f node_modules/playwright-core/package.json ]; then
    echo "spine-check setup: npm packages up to date"
else
    echo "spine-check setup: npm ci in $here"
    # --ignore-scripts: none of the three packages needs an install script, and no script
    # may download anything (a browser) here
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$want" > "$stamp"
fi

chromium="${SPINE_CHECK_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium" ]; then
    echo "spine-check setup: Chromium at $chromium"
elif [ -n "${SPINE_CHECK_CHROMIUM:-}" ]; then
    fail "SPINE_CHECK_CHROMIUM=$chromium is not an executable"
elif [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "spine-check setup: installing Debian's chromium and chromium-driver"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver >/dev/null
    [ -x /usr/bin/chromium ] || fail "apt-get installed chromium but /usr/bin/chromium is missing"
    echo "spine-check setup: $(/usr/bin/chromium --version 2>/dev/null)"
else
    echo "spine-check setup: Chromium is missing; the render tests will be skipped (and fail" \
        "with CI=true). Install it as root with:" >&2
    echo "    apt-get update && apt-get install -y chromium chromium-driver" >&2
fi
