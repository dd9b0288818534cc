#!/usr/bin/env bash
# Runs the example data-entry sessions against a running server, each through a client generated
# from openapi/openapi.json with pinned tools:
#   python:     openapi-python-client, in a venv, then examples/python/session.py
#   typescript: openapi-typescript + openapi-fetch (examples/typescript/package-lock.json), type-checked
#               with tsc --strict, then examples/typescript/src/session.ts
#
#   usage: INTERCITY_TOKEN=<editor key> examples/run.sh BASE_URL      (e.g. http://127.0.0.1:8080)
#   (the token in the environment, where `ps` does not show it)
#
# Needs python3 (with venv), node and npm. The Python venv is
# "${CARGO_TARGET_DIR:-/var/tmp/intercity-target}/examples-venv", reused while it has the pinned
# versions; node_modules, generated/ and dist/ stay in examples/typescript (all gitignored).
# A generator warning about a part of the spec it skipped fails the client it generates.
set -euo pipefail

base_url=${1:?usage: INTERCITY_TOKEN=<editor key> examples/run.sh BASE_URL}
: "${INTERCITY_TOKEN:?set INTERCITY_TOKEN to the token of an editor key}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
spec=$repo/openapi/openapi.json
venv=${CARGO_TARGET_DIR:-/var/tmp/intercity-target}/examples-venv
python_requirements=(openapi-python-client==0.29.1 setuptools==84.2.1)
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)

for tool in python3 node npm; do
    command -v "$tool" >/dev/null || { echo "examples: $tool is not installed" >&2; exit 1; }
done
[[ -f $spec ]] || { echo "examples: no $spec" >&2; exit 1; }

# One run at a time: runs share the venv and examples/typescript/node_modules.
mkdir -p "$(dirname "$venv")"
if command -v flock >/dev/null; then
    exec 9>"$venv.lock"
    flock 9
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

# clock: now, in seconds; took START: the seconds since START, to one decimal.
clock() { if [[ -n ${EPOCHREALTIME:-} ]]; then echo "${EPOCHREALTIME/,/.}"; else echo "$SECONDS"; fi; }
took() { awk -v a="$1" -v b="$(clock)" 'BEGIN { printf "%.1f s", b - a }'; }

# step CLIENT WHAT LOG COMMAND...: runs COMMAND with its output in LOG; on failure prints LOG and
# returns 1; on success appends "WHAT (time)" to the client's progress line.
progress=""
failed_step=""
step() {
    local client=$1 what=$2 log=$3 start
    shift 3
    start=$(clock)
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "$client client: $what failed (output above)" >&2
        failed_step=$what
        return 1
    fi
    progress+="${progress:+, }$what ($(took "$start"))"
}

# A generator's output with its expected lines removed must be empty: anything else is a warning.
no_warnings() {
    local client=$1 log=$2 expected=$3
    if grep -vE "$expected" "$log" | grep -q .; then
        cat "$log" >&2
        echo "$client client: the generator warned about openapi/openapi.json (output above)" >&2
        failed_step="generator warnings"
        return 1
    fi
}

make_venv() { python3 -m venv "$venv" && "${pip[@]}" install "${python_requirements[@]}"; }

python_client() {
    # The venv: the generator (which brings ruff, httpx and attrs) and setuptools to build what it writes.
    if ! "$venv/bin/python" -c 'import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (r.split("==") for r in sys.argv[1:])))' \
        "${python_requirements[@]}" 2>/dev/null; then
        rm -rf "$venv"
        step python "venv with ${python_requirements[*]}" "$tmp/venv.log" make_venv || return 1
    fi
    # Generate (the generator runs ruff from PATH to format what it writes) and install.
    step python "generated" "$tmp/python-generate.log" \
        env PATH="$venv/bin:$PATH" COLUMNS=200 "$venv/bin/openapi-python-client" generate --meta setup \
        --path "$spec" --output-path "$tmp/client" --fail-on-warning || return 1
    no_warnings python "$tmp/python-generate.log" '^Generating ' || return 1
    step python "installed" "$tmp/python-install.log" \
        "${pip[@]}" install --no-build-isolation "$tmp/client" || return 1
    echo "python client: $progress"
    progress=""
    # Run from the temp dir, so that only the installed client is importable.
    local start
    start=$(clock)
    failed_step="examples/python/session.py against $base_url"
    (cd "$tmp" && "$venv/bin/python" "$here/python/session.py" "$base_url") || return 1
    echo "python client: session.py passed against $base_url ($(took "$start"))"
}

npm_ci() { (cd "$1" && npm ci --no-audit --no-fund); }

typescript_client() {
    local dir=$here/typescript
    step typescript "npm ci" "$tmp/npm-ci.log" npm_ci "$dir" || return 1
    rm -rf "$dir/generated" "$dir/dist"
    step typescript "generated" "$tmp/ts-generate.log" \
        "$dir/node_modules/.bin/openapi-typescript" "$spec" --output "$dir/generated/intercity.ts" || return 1
    no_warnings typescript "$tmp/ts-generate.log" '^✨ openapi-typescript |^🚀 ' || return 1
    # Type-checks (strict, as tsconfig.json also says) and, only if that passes, compiles to dist/.
    step typescript "tsc --strict" "$tmp/tsc.log" \
        "$dir/node_modules/.bin/tsc" --strict -p "$dir/tsconfig.json" || return 1
    echo "typescript client: $progress"
    progress=""
    local start
    start=$(clock)
    failed_step="examples/typescript/src/session.ts against $base_url"
    node "$dir/dist/src/session.js" "$base_url" || return 1
    echo "typescript client: session.ts passed against $base_url ($(took "$start"))"
}

python_client || failed+=("python client: $failed_step")
progress=""
typescript_client || failed+=("typescript client: $failed_step")

if ((${#failed[@]})); then
    printf 'examples FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "examples: both sessions passed against $base_url"
