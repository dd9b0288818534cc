#!/usr/bin/env bash
# Generates a Python client from openapi/openapi.json with a pinned openapi-python-client, installs it
# into a venv and runs check.py with it against a running server, writing with an editor key.
#   usage: tests/client/run.sh BASE_URL        (e.g. http://127.0.0.1:8080)
#   with the key's token in INTERCITY_TOKEN (kept out of the command line, where `ps` would show it)
# The venv is "${INTERCITY_CLIENT_VENV:-${CARGO_TARGET_DIR:-<repo>/target}/python-client-venv}"; it is
# reused while it has the pinned generator. Any generator warning (a part of the spec it skipped) fails.
set -euo pipefail

base_url=${1:?usage: INTERCITY_TOKEN=… tests/client/run.sh BASE_URL}
: "${INTERCITY_TOKEN:?set INTERCITY_TOKEN to the token of an editor key}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${INTERCITY_CLIENT_VENV:-${CARGO_TARGET_DIR:-$repo/target}/python-client-venv}
pip=("$venv/bin/python" -m pip --quiet --disable-pip-version-check)

# One run at a time per venv: tests on both engines may call this at once.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

# The venv: the generator (which brings ruff, httpx and attrs) and setuptools to build what it writes.
requirements=(openapi-python-client==0.29.1 setuptools==84.2.1)
if ! "$venv/bin/python" -c 'import sys, importlib.metadata as m
sys.exit(any(m.version(n) != v for n, v in (r.split("==") for r in sys.argv[1:])))' "${requirements[@]}" 2>/dev/null; then
    echo "python client: installing ${requirements[*]} into $venv"
    python3 -m venv "$venv"
    "${pip[@]}" install "${requirements[@]}"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=()

# Generate. The generator runs ruff from PATH to format what it writes.
if ! PATH="$venv/bin:$PATH" COLUMNS=200 "$venv/bin/openapi-python-client" generate --meta setup \
    --path "$repo/openapi/openapi.json" --output-path "$tmp/client" --fail-on-warning >"$tmp/generate.log" 2>&1 \
    || grep -qiE 'warning|will not be generated|skipping|unable to|could not' "$tmp/generate.log"; then
    cat "$tmp/generate.log"
    failed+=("the generator skipped parts of openapi/openapi.json (warnings above)")
fi

# Install what was generated (even after warnings, so check.py reports what it can) and run the check.
if [[ -d $tmp/client ]] && "${pip[@]}" install --no-build-isolation "$tmp/client"; then
    (cd "$tmp" && "$venv/bin/python" "$here/check.py" "$base_url") || failed+=("check.py against $base_url")
else
    failed+=("generating or installing the client")
fi

if ((${#failed[@]})); then
    printf 'python client FAILED: %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "python client: generated from openapi/openapi.json and check.py passed against $base_url"
