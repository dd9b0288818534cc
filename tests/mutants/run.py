#!/usr/bin/env python3
"""Checks that the tests catch a sample of broken features: each mutant below removes or bends one
feature in the source, and the tests named beside it must then fail. The source is restored after
each mutant, whatever happens.

    python3 tests/mutants/run.py            # every mutant (about a minute and a half each on 2 cores)
    python3 tests/mutants/run.py NAME...    # only these

The tests run on SQLite only (`TEST_DATABASE_URL` is cleared): a mutant the SQLite half misses would
not be caught by the PostgreSQL half either, since both run the same assertions. Not part of CI: each
mutant is a rebuild.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# name: (file, text as it is, text as the mutant has it, tests that must fail)
MUTANTS = {
    "if-match-unquoted": (
        "src/api/extract.rs",
        """tag.strip_prefix('"')
                        .and_then(|tag| tag.strip_suffix('"'))""",
        """Some(tag.trim_matches('"'))""",
        ["conditional::stale_if_match_is_412_and_changes_nothing::sqlite"],
    ),
    "stale-version-accepted": (
        "src/store/crud.rs",
        "Some(expected) if current != Some(expected) => {",
        "Some(expected) if current.is_none() => {",
        ["conditional::stale_if_match_is_412_and_changes_nothing::sqlite"],
    ),
    "search-query-not-folded": (
        "src/store/crud.rs",
        ".map(|q| fold(&q.0))",
        ".map(|q| q.0.to_string())",
        ["lists::filters_select_what_they_say::sqlite"],
    ),
    "cursor-repeats-its-last-row": (
        "src/store/crud.rs",
        """        } else {
            key.expr().gt(value)
        });""",
        """        } else {
            key.expr().gte(value)
        });""",
        ["lists::cursors_walk_every_record_once_in_order::sqlite"],
    ),
    "feed-ignores-resource-filter": (
        "src/store/transfer.rs",
        """select.and_where(Expr::col("resource").eq(resource.name()));""",
        """let _ = resource;""",
        ["integration::a_feed_follower_ends_with_the_servers_data::sqlite"],
    ),
    "years-below-1000-accepted": (
        "src/domain/stats.rs",
        "Some(year) if !(1000..=9999).contains(&year) =>",
        "Some(year) if year > 9999 =>",
        ["stats::edges_of_the_documented_schemas::sqlite"],
    ),
    "no-rows-count-null": (
        "src/store/stats.rs",
        """    Func::coalesce([
        sum(Expr::case(expr.is_null(), 1).finally(0).into()),
        0.into(),
    ])
    .into()""",
        """    sum(Expr::case(expr.is_null(), 1).finally(0).into())""",
        ["stats::edges_of_the_documented_schemas::sqlite"],
    ),
    "editors-may-do-what-admins-do": (
        "src/api/auth.rs",
        "Self::Key(actor) if actor.role < role =>",
        "Self::Key(actor) if actor.role < role && actor.role < Role::Editor =>",
        ["auth::every_write_needs_a_key_of_its_role::sqlite"],
    ),
    "undeclared-method-is-404": (
        "src/api/mod.rs",
        "let error = match known.and_then(|known| known.allow(request.path())) {",
        "let error = match known.and_then(|known| known.allow(request.path())).filter(|_| false) {",
        ["errors::an_undeclared_method_on_a_known_path_is_405_with_allow::sqlite"],
    ),
    "referenced-record-deleted": (
        "src/store/crud.rs",
        """    if !referrers.is_empty() {
        return Err(StoreError::Referenced(referrers));""",
        """    if referrers.len() > 1 {
        return Err(StoreError::Referenced(referrers));""",
        ["crud::deleting_a_referenced_record_is_a_conflict::sqlite"],
    ),
    "reference-to-another-resource-accepted": (
        "src/store/crud.rs",
        "} else if !found.contains(&(reference.target, reference.id)) {",
        "} else if !found.iter().any(|(_, found)| *found == reference.id) {",
        ["errors::rule_errors_name_the_field::sqlite"],
    ),
    "object-given-as-array-accepted": (
        "src/domain/common.rs",
        "match object_given_as_array(&value, &read) {",
        "match None::<String> {",
        ["errors::shape_errors_name_the_field::sqlite"],
    ),
}


def run_tests(tests):
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "CI")}
    command = ["cargo", "test", "--quiet", "--test", "api", "--", *tests]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode == 0 and re.search(r"\b0 passed", result.stdout):
        sys.exit(f"no test matched {tests}")
    if result.returncode != 0 and "test result" not in result.stdout:
        # It did not build, or no test ran: that is not a test catching the mutant.
        return "error", result.stderr[-2000:]
    return ("passed" if result.returncode == 0 else "failed"), result.stdout


def main():
    names = sys.argv[1:] or list(MUTANTS)
    unknown = [name for name in names if name not in MUTANTS]
    if unknown:
        sys.exit(f"unknown mutants: {', '.join(unknown)}")
    for name in names:
        path, original, _, _ = MUTANTS[name]
        if (REPO / path).read_text().count(original) != 1:
            sys.exit(f"{name}: the text to mutate is not once in {path}; update this mutant")
    every_test = sorted({test for name in names for test in MUTANTS[name][3]})
    outcome, output = run_tests(every_test)
    if outcome != "passed":
        print(output, file=sys.stderr)
        sys.exit(f"the tests do not pass on the unmutated source ({outcome})")
    survivors = []
    for name in names:
        path, original, mutant, tests = MUTANTS[name]
        file = REPO / path
        source = file.read_text()
        try:
            file.write_text(source.replace(original, mutant))
            outcome, output = run_tests(tests)
        finally:
            file.write_text(source)
        verdict = {"failed": "caught", "passed": "SURVIVED", "error": "did not build"}[outcome]
        print(f"{name}: {verdict} by {', '.join(tests)}", flush=True)
        if outcome != "failed":
            survivors.append(name)
            print(output, file=sys.stderr)
    if survivors:
        sys.exit(f"{len(survivors)} of {len(names)} mutants were not caught: {', '.join(survivors)}")
    print(f"all {len(names)} mutants caught")


if __name__ == "__main__":
    main()
