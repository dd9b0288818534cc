#!/usr/bin/env bash
# Runs schemathesis (pinned) against an Intercity binary on loopback, on a fresh database: every phase
# (examples, coverage, fuzzing, stateful), every check, an editor key, a fixed seed, and a time bound.
# Zero failures and zero errors pass.
#   usage: tests/contract/run.sh BINARY sqlite|postgres
#   PostgreSQL: the local server (127.0.0.1:5432, user postgres); a database is made and dropped.
# The venv is "${CARGO_TARGET_DIR:-<repo>/target}/schemathesis-venv", reused while it has the pin.
set -euo pipefail

binary=$(realpath "${1:?usage: tests/contract/run.sh BINARY sqlite|postgres}")
engine=${2:?usage: tests/contract/run.sh BINARY sqlite|postgres}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv=${CARGO_TARGET_DIR:-$repo/target}/schemathesis-venv
requirement=schemathesis==4.32.5
seed=${CONTRACT_SEED:-20261201}
examples=${CONTRACT_EXAMPLES:-20}

mkdir -p "$(dirname "$venv")"
# One run installs while the others wait; then each goes on its own.
(
    flock 9
    if ! "$venv/bin/python" -c 'import sys, importlib.metadata as m; sys.exit(m.version("schemathesis") != sys.argv[1])' \
        "${requirement#*==}" 2>/dev/null; then
        echo "contract: installing $requirement into $venv"
        python3 -m venv "$venv"
        "$venv/bin/python" -m pip --quiet --disable-pip-version-check install "$requirement"
    fi
) 9>"$venv.lock"

work=$(mktemp -d)
server=
cleanup() {
    [[ -n $server ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    if [[ $engine == postgres ]]; then
        psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
case $engine in
    sqlite) export DATABASE_URL="sqlite://$work/contract.db?mode=rwc" ;;
    postgres)
        database="intercity_contract_$$"
        psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $database"
        export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$database" ;;
    *) echo "engine must be sqlite or postgres" >&2; exit 2 ;;
esac

# The seeds give the fuzzer real records to find; the write limit would otherwise answer 429s.
export INTERCITY_SEED_DIR="$repo/seeds" INTERCITY_WRITE_RATE_PER_MINUTE=100000000 INTERCITY_LOG_FORMAT=json
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$binary" migrate >/dev/null
token=$("$binary" keys create --role editor --name "contract-$engine")
INTERCITY_BIND="127.0.0.1:$port" "$binary" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
done

started=$(date +%s)
status=0
(cd "$work" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" timeout 1200 "$venv/bin/st" --no-color \
    --config-file "$here/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $token" --checks all \
    --phases examples,coverage,fuzzing,stateful --max-examples "$examples" --seed "$seed" --workers 2 \
    --warnings off) >"$work/schemathesis.log" 2>&1 || status=$?
if ((status)); then
    cat "$work/schemathesis.log"
    echo "contract ($engine): schemathesis FAILED (exit $status); the server's log is above this line's file" >&2
    tail -20 "$work/server.log" >&2
    exit 1
fi
grep -E "^(Test cases:|  [0-9]+ generated)" -A1 "$work/schemathesis.log" | tail -2
echo "contract ($engine): schemathesis passed in $(( $(date +%s) - started ))s (seed $seed, $examples examples per operation)"
