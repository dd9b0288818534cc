#!/usr/bin/env bash
# The benchmark: builds the release binary, loads generated data, drives the server with wrk on loopback
# and prints one table, each figure beside its ceiling measured in the same run.
#   usage: bench/run.sh [sqlite|postgres] [scale|growth]
#   scale: records of each generated resource (7 resources; 14286 gives about 100,000 import lines).
#   growth: instead of the load runs, how single requests and the import cost at about 10^4, 10^5 and
#   10^6 import lines (scales 1429, 14286 and 142857; GROWTH_SCALES overrides them), in one table.
#   DURATION (seconds per load run, default 10) and CONNECTIONS (default 64) tune the load runs;
#   PostgreSQL is the local one (127.0.0.1:5432, user postgres), where a scratch database is made and dropped.
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${1:-sqlite}
scale=${2:-14286}
duration=${DURATION:-10}
connections=${CONNECTIONS:-64}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/intercity-target}"

case "$engine" in sqlite|postgres) ;; *) echo "usage: bench/run.sh [sqlite|postgres] [scale|growth]" >&2; exit 2 ;; esac

# wrk and bc, from Debian's packages.
missing=$(for tool in wrk bc sqlite3 jq; do command -v "$tool" >/dev/null || echo "$tool"; done)
if [ -n "$missing" ]; then
    sudo=$([ "$(id -u)" = 0 ] || echo sudo)
    # shellcheck disable=SC2086
    $sudo apt-get install -y --no-install-recommends $missing >/dev/null 2>&1 \
        || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends $missing >/dev/null; }
fi

cargo build --release --quiet
bin="$CARGO_TARGET_DIR/release/intercity"
work=$(mktemp -d)
port=$((20000 + $$ % 20000))
base="http://127.0.0.1:$port"
server=""
second=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    [ -n "$second" ] && kill "$second" 2>/dev/null || true
    if [ "$engine" = postgres ]; then
        for database in $(psql -At -h 127.0.0.1 -U postgres -d postgres \
                -c "SELECT datname FROM pg_database WHERE datname LIKE 'intercity\_bench\_%\_$$' OR datname = 'intercity_bench_$$'"); do
            psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" || true
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$engine" = sqlite ]; then
    export DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
else
    psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE intercity_bench_$$" -c "CREATE DATABASE intercity_bench_raw_$$"
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/intercity_bench_$$"
fi
export INTERCITY_AUTO_SEED=false INTERCITY_BIND="127.0.0.1:$port" RUST_LOG=warn

seconds() { date +%s.%N; }
elapsed() { echo "$(seconds) - $1" | bc -l; }
per_second() { echo "scale=0; $1 / $2" | bc -l; }
rss_mib() { awk -v key="$2:" '$1 == key { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
start_server() {
    "$bin" serve >"$work/server.log" 2>&1 &
    server=$!
    until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }
# The cursor of the list page `depth` records into the cities, paging 500 at a time.
cursor_at() {
    local depth=$1 cursor=""
    for _ in $(seq $((depth / 500))); do
        cursor=$(curl -sf "$base/v1/cities?limit=500${cursor:+&cursor=$cursor}" | grep -o '"next_cursor":"[^"]*"' | cut -d'"' -f4)
    done
    echo "$cursor"
}

# Growth: each path asked once of a fresh process (nothing cached), best of three, at each scale.
if [ "$scale" = growth ]; then
    read -r -a scales <<<"${GROWTH_SCALES:-1429 14286 142857}"
    labels=("list, first page of 50" "list, page of 50 at the last record" "list, filtered (country, q)"
            "list, searched for a name (q)"
            "stats fundings by year" "stats projects by sector, status" "stats exchanges by year, kind"
            "stats indicators by city" "stats results" "overview")
    paths=("/v1/cities?limit=50" "" "/v1/cities?country=JP&q=city&limit=50" "/v1/cities?q=city%201234&limit=50"
           "/v1/stats/fundings?group_by=year" "/v1/stats/projects?group_by=sector,status"
           "/v1/stats/exchanges?group_by=year,kind" "/v1/stats/indicators?group_by=city"
           "/v1/stats/results" "/v1/stats/overview")
    declare -A ms
    line_counts=()
    import_rates=()
    for growth_scale in "${scales[@]}"; do
        if [ "$engine" = sqlite ]; then
            export DATABASE_URL="sqlite://$work/growth.db?mode=rwc"
        else
            psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE intercity_bench_${growth_scale}_$$"
            export DATABASE_URL="postgres://postgres@127.0.0.1:5432/intercity_bench_${growth_scale}_$$"
        fi
        "$bin" generate --scale "$growth_scale" > "$work/data.ndjson"
        line_counts+=("$(wc -l < "$work/data.ndjson")")
        "$bin" migrate >/dev/null
        started=$(seconds)
        "$bin" import "$work/data.ndjson" >/dev/null 2>&1
        import_rates+=("$(per_second "${line_counts[-1]}" "$(elapsed "$started")")")
        rm "$work/data.ndjson"
        start_server
        deep_cursor=$(cursor_at $(( (growth_scale - 1) / 500 * 500 )))
        paths[1]="/v1/cities?limit=50${deep_cursor:+&cursor=$deep_cursor}"
        stop_server
        for index in "${!paths[@]}"; do
            times=()
            for _ in 1 2 3; do
                start_server
                curl -sf "$base/v1/cities?limit=1" >/dev/null
                times+=("$(curl -sf -o /dev/null -w '%{time_total}' "$base${paths[$index]}" | awk '{ printf "%.1f", $1 * 1000 }' || echo failed)")
                stop_server
            done
            ms["$growth_scale $index"]=$(printf '%s\n' "${times[@]}" | sort -n | head -1)
        done
        if [ "$engine" = postgres ]; then
            psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE intercity_bench_${growth_scale}_$$ WITH (FORCE)"
        else
            rm -f "$work/growth.db"*
        fi
    done
    printf '\nIntercity growth: %s, release build, each request once of a fresh process (best of three), %s\n\n' \
        "$engine" "$(date -u +%Y-%m-%dT%H:%MZ)"
    printf '| %-44s |' "ms (import: records/s), at import lines"
    for count in "${line_counts[@]}"; do printf ' %10s |' "$count"; done
    printf ' %-30s |\n|%s|' "last step: cost × (data ×)" "$(printf -- '-%.0s' {1..46})"
    for _ in "${scales[@]}"; do printf '%s|' "------------"; done
    printf '%s|\n' "------------------------------"
    last=$(( ${#scales[@]} - 1 ))
    for index in "${!paths[@]}"; do
        printf '| %-44s |' "${labels[$index]}"
        for growth_scale in "${scales[@]}"; do printf ' %10s |' "${ms["$growth_scale $index"]}"; done
        printf ' %-30s |\n' "$(awk -v a="${ms["${scales[$((last - 1))]} $index"]}" -v b="${ms["${scales[$last]} $index"]}" \
            -v n="${line_counts[$((last - 1))]}" -v m="${line_counts[$last]}" \
            'BEGIN { if (a > 0) printf "%.1f× (%.1f×)", b / a, m / n; else print "-" }')"
    done
    printf '| %-44s |' "import (CLI), records/s"
    for rate in "${import_rates[@]}"; do printf ' %10s |' "$rate"; done
    printf ' %-28s |\n' ""
    exit 0
fi

"$bin" generate --scale "$scale" > "$work/data.ndjson"
lines=$(wc -l < "$work/data.ndjson")
"$bin" migrate >/dev/null

# Import through the CLI (one transaction), and its ceiling: the rows it wrote (records, index rows,
# feed entries) loaded directly into an empty database with the same schema and indexes, in one
# transaction: INSERT … SELECT in sqlite3, pg_dump's COPY in psql.
started=$(seconds)
"$bin" import "$work/data.ndjson" >/dev/null 2>&1
import_s=$(elapsed "$started")
not_data="seaql_migrations index_versions api_keys idempotency_keys"
if [ "$engine" = sqlite ]; then
    DATABASE_URL="sqlite://$work/ceiling.db?mode=rwc" "$bin" migrate >/dev/null 2>&1
    # Ordinary tables only: the trigram table and its shadow tables are filled by triggers on
    # search_terms, as on import.
    tables=$(sqlite3 "$work/bench.db" "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'")
    {
        echo "ATTACH '$work/bench.db' AS loaded; BEGIN;"
        for table in $tables; do
            case " $not_data " in *" $table "*) continue ;; esac
            echo "INSERT INTO main.\"$table\" SELECT * FROM loaded.\"$table\";"
        done
        echo "COMMIT;"
    } > "$work/ceiling.sql"
    started=$(seconds)
    sqlite3 "$work/ceiling.db" < "$work/ceiling.sql"
else
    # shellcheck disable=SC2046
    pg_dump -a --disable-triggers -h 127.0.0.1 -U postgres $(printf -- '-T %s ' $not_data) "intercity_bench_$$" > "$work/ceiling.sql"
    DATABASE_URL="postgres://postgres@127.0.0.1:5432/intercity_bench_raw_$$" "$bin" migrate >/dev/null 2>&1
    started=$(seconds)
    psql -q -h 127.0.0.1 -U postgres -d "intercity_bench_raw_$$" -v ON_ERROR_STOP=1 --single-transaction -f "$work/ceiling.sql" >/dev/null
fi
raw_s=$(elapsed "$started")

# Cold start on the migrated, loaded database: until /healthz answers.
started=$(seconds)
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done
cold_ms=$(echo "$(elapsed "$started") * 1000" | bc -l)
sleep 3   # after the first return of free memory to the system, two seconds after start
idle_rss=$(rss_mib "$server" VmRSS)

# What the load runs ask for.
city=$(curl -sf "$base/v1/cities?limit=1" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)
depth=$(( scale < 100000 ? (scale - 1) / 500 * 500 : 100000 ))
cursor=$(cursor_at "$depth")
etag=$(curl -sf -D - -o /dev/null "$base/v1/stats/fundings?group_by=year" | tr -d '\r' | awk -F': ' 'tolower($1) == "etag" { print $2 }')

# wrk's figures: requests/s, p50 and p99 in ms.
load() {
    local path=$1; shift
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$base$path" > "$work/wrk.txt" 2>&1
    awk '
        function ms(value) {
            if (value ~ /us$/) return substr(value, 1, length(value) - 2) / 1000
            if (value ~ /ms$/) return substr(value, 1, length(value) - 2)
            if (value ~ /s$/) return substr(value, 1, length(value) - 1) * 1000
            return value
        }
        $1 == "Requests/sec:" { rps = $2 }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Non-2xx" { errors = $NF }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors }
    ' "$work/wrk.txt"
}

ceiling=$(load /healthz)
ceiling_rps=${ceiling%% *}
printf '\nIntercity benchmark: %s, %d import lines, release build, wrk -t2 -c%d -d%ss, %s\n\n' \
    "$engine" "$lines" "$connections" "$duration" "$(date -u +%Y-%m-%dT%H:%MZ)"
printf '| %-44s | %9s | %8s | %8s | %-24s | %-34s |\n' "path" "req/s" "p50 ms" "p99 ms" "beside its ceiling" "target"
printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-----------" "----------" "----------" "--------------------------" "$(printf -- '-%.0s' {1..36})"
# `met` or `MISSED`, as the awk condition on a and b holds.
verdict() { awk -v a="$2" -v b="$3" "BEGIN { if ($1) print \"met\"; else print \"MISSED\" }"; }
# A row of figures, its share of the ceiling, and its target: a least share of the ceiling in %, and a
# most p99 in ms, either optional.
row() {
    local name=$1 figures=$2 least=${3:-} p99_most=${4:-} rps p50 p99 errors
    read -r rps p50 p99 errors <<<"$figures"
    local share note target=""
    share=$(printf '%.1f' "$(echo "100 * $rps / $ceiling_rps" | bc -l)")
    [ "$errors" -gt 0 ] && note="$share % (${errors} non-2xx!)" || note="$share % of /healthz"
    if [ -n "$least" ]; then
        target=">= $least %"
        [ -n "$p99_most" ] && target="$target, p99 <= $p99_most ms"
        local met
        met=$(verdict "a >= b && (\"$p99_most\" == \"\" || $p99 <= 0 + \"$p99_most\") && $errors == 0" "$share" "$least")
        target="$target: $met"
    fi
    printf '| %-44s | %9s | %8s | %8s | %-24s | %-34s |\n' "$name" "$rps" "$p50" "$p99" "$note" "$target"
}
row "/healthz (the HTTP ceiling)" "$ceiling"
by_id=$(load "/v1/cities/$city")
row "get by id" "$by_id" 40 10
first_page=$(load "/v1/cities?limit=50")
row "list, first page of 50" "$first_page" 20
# A deep page costs at most 1.2× the first: its requests/s at least the first's / 1.2.
row "list, page of 50 at record $depth" "$(load "/v1/cities?limit=50${cursor:+&cursor=$cursor}")" \
    "$(printf '%.1f' "$(echo "100 * ${first_page%% *} / 1.2 / $ceiling_rps" | bc -l)")"
row "list, filtered (country, q)" "$(load "/v1/cities?country=JP&q=city&limit=50")" 20
row "list, searched for a name (q)" "$(load "/v1/cities?q=city%201234&limit=50")" 20
row "stats fundings by year" "$(load "/v1/stats/fundings?group_by=year")" 50
row "stats projects by sector, status" "$(load "/v1/stats/projects?group_by=sector,status")" 50
row "stats exchanges by year, kind" "$(load "/v1/stats/exchanges?group_by=year,kind")" 50
row "stats indicators by city" "$(load "/v1/stats/indicators?group_by=city")" 50
row "stats results" "$(load "/v1/stats/results")" 50
row "overview" "$(load "/v1/stats/overview")" 50
row "304 on a stats ETag" "$(load "/v1/stats/fundings?group_by=year" -H "If-None-Match: $etag")" 50
# Point reads while half the connections poll an aggregate: at least half of get by id alone.
wrk -t1 -c$((connections / 2)) -d"${duration}s" "$base/v1/stats/projects?group_by=sector,status" >/dev/null 2>&1 &
poller=$!
all_connections=$connections
connections=$((connections / 2))
row "get by id, $connections clients polling stats" "$(load "/v1/cities/$city")" \
    "$(printf '%.1f' "$(echo "50 * ${by_id%% *} / $ceiling_rps" | bc -l)")"
connections=$all_connections
wait "$poller"

# Two instances on one PostgreSQL, each driven by half the connections at once (SQLite: one process).
if [ "$engine" = postgres ]; then
    INTERCITY_BIND="127.0.0.1:$((port + 1))" "$bin" serve >"$work/server2.log" 2>&1 &
    second=$!
    until curl -sf "http://127.0.0.1:$((port + 1))/healthz" >/dev/null; do sleep 0.01; done
    both() {
        local path=$1
        wrk -t1 -c$((connections / 2)) -d"${duration}s" "$base$path" > "$work/wrk1.txt" 2>&1 &
        local first=$!
        wrk -t1 -c$((connections / 2)) -d"${duration}s" "http://127.0.0.1:$((port + 1))$path" > "$work/wrk2.txt" 2>&1
        wait "$first"
        awk '$1 == "Requests/sec:" { total += $2 } END { printf "%.0f", total }' "$work/wrk1.txt" "$work/wrk2.txt"
    }
    printf '\n| %-44s | %9s |\n' "two instances, one database" "req/s"
    printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-----------"
    printf '| %-44s | %9s |\n' "get by id" "$(both "/v1/cities/$city")"
    printf '| %-44s | %9s |\n' "list, first page of 50" "$(both "/v1/cities?limit=50")"
    kill "$second"; wait "$second" 2>/dev/null || true
    second=""
fi

# Aggregates beside their own SQL, run directly: a fresh process (so nothing is cached) answers each
# aggregate once while logging its statements; the slowest of them, replayed in sqlite3 / psql, is the
# ceiling. Best of three each.
load_peak_rss=$(rss_mib "$server" VmHWM)
kill "$server"; wait "$server" 2>/dev/null || true
server=""
best_of_three() { sort -n | awk 'NR == 1'; }
direct_ms() {
    local sql=$1
    for _ in 1 2 3; do
        if [ "$engine" = sqlite ]; then
            printf '.timer on\n%s;\n' "$sql" | sqlite3 "$work/bench.db" 2>&1 | awk '$1 == "Run" { print $4 * 1000 }' | tail -1
        else
            printf '\\timing on\n%s;\n' "$sql" | psql -At -h 127.0.0.1 -U postgres -d "intercity_bench_$$" 2>&1 | awk '$1 == "Time:" { print $2 }' | tail -1
        fi
    done | best_of_three
}
sql_rows=()
for path in "/v1/stats/fundings?group_by=year" "/v1/stats/projects?group_by=sector,status" \
            "/v1/stats/exchanges?group_by=year,kind" "/v1/stats/indicators?group_by=city"; do
    app_times=()
    for _ in 1 2 3; do
        RUST_LOG=warn,intercity::sql=trace INTERCITY_LOG_FORMAT=json "$bin" serve >"$work/sql.log" 2>&1 &
        server=$!
        until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done
        # An aggregate of nothing first: it opens a connection and reads the change feed's head, which
        # the next second's aggregates reuse, so the figure below is the aggregate's own statement.
        curl -sf "$base/v1/stats/results?project_id=00000000-0000-4000-8000-000000000000" >/dev/null
        start_line=$(wc -l < "$work/sql.log")
        app_times+=("$(curl -sf -o /dev/null -w '%{time_total}' "$base$path" | awk '{ print $1 * 1000 }')")
        kill "$server"; wait "$server" 2>/dev/null || true
        server=""
    done
    sql=$(tail -n +"$((start_line + 1))" "$work/sql.log" | jq -R -r 'fromjson? | select(.target == "intercity::sql") | [.elapsed_us, .message] | @tsv' \
        | sort -n -r | awk 'NR == 1' | cut -f2-)
    app_ms=$(printf '%s\n' "${app_times[@]}" | best_of_three)
    sql_ms=$(direct_ms "$sql")
    sql_rows+=("$(printf '| %-44s | %10.1f | %10.1f | %-20s | %-17s |' "$path" "$app_ms" "$sql_ms" \
        "$(awk -v app="$app_ms" -v sql="$sql_ms" 'BEGIN { if (sql > 0) printf "%.2f× the SQL", app / sql; else print "SQL under 1 ms" }')" \
        "<= 1.3x: $(verdict "a <= 1.3 * b || a < 1" "$app_ms" "$sql_ms")")")
done
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
until curl -sf "$base/healthz" >/dev/null; do sleep 0.01; done

printf '\n| %-44s | %10s | %10s | %-20s | %-17s |\n' "aggregate, computed once (nothing cached)" "HTTP ms" "SQL ms" "beside its ceiling" "target"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "------------" "------------" "----------------------" "-------------------"
printf '%s\n' "${sql_rows[@]}"

# Export over HTTP and through the CLI.
started=$(seconds)
curl -sf "$base/v1/export" -o "$work/export.ndjson"
http_export_s=$(elapsed "$started")
exported=$(wc -l < "$work/export.ndjson")
started=$(seconds)
"$bin" export > "$work/export-cli.ndjson"
cli_export_s=$(elapsed "$started")
export_peak_rss=$(rss_mib "$server" VmHWM)
peak_rss=$(( load_peak_rss > export_peak_rss ? load_peak_rss : export_peak_rss ))

import_share=$(printf '%.1f' "$(echo "100 * $raw_s / $import_s" | bc -l)")
http_export=$(per_second "$exported" "$http_export_s")
cli_export=$(per_second "$exported" "$cli_export_s")
printf '\n| %-44s | %-46s | %-22s |\n' "bulk path" "records/s" "target"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..24})"
printf '| %-44s | %-46s | %-22s |\n' "import, $lines lines (CLI)" \
    "$(per_second "$lines" "$import_s") ($import_share % of its rows loaded directly: $(per_second "$lines" "$raw_s"))" \
    ">= 50 %: $(verdict "a >= b" "$import_share" 50)"
printf '| %-44s | %-46s | %-22s |\n' "export, HTTP" "$http_export" ">= 100000: $(verdict "a >= b" "$http_export" 100000)"
printf '| %-44s | %-46s | %-22s |\n' "export, CLI" "$cli_export" ">= 100000: $(verdict "a >= b" "$cli_export" 100000)"
printf '\nidle RSS %s MiB (target <= 64: %s), peak RSS %s MiB, cold start %.0f ms (target <= 1000: %s)\n' \
    "$idle_rss" "$(verdict "a <= b" "$idle_rss" 64)" "$peak_rss" "$cold_ms" "$(verdict "a <= b" "$cold_ms" 1000)"
printf 'The import ceiling loads the rows the import wrote (records, index rows, feed entries) directly into an empty\ndatabase with the same schema and indexes: INSERT … SELECT in sqlite3, or pg_dump'"'"'s COPY in psql.\n'
