"""schemathesis over /api/v1/openapi.json, in process against the suite's app (issue 14, part 6): whatever a client
sends, no operation answers a server error or a status code its OpenAPI operation does not document.

Every operation, with data that fits its schema and data that does not, on a fresh schema holding a district with an
election in counting (ids 1, 2… exist), as the administrator (who passes every route's access rule). Examples are
bounded and derandomised, so CI on SQLite and on PostgreSQL replays the same cases; FUZZ_EXAMPLES raises the count
for a deeper run by hand. (One loop rather than schemathesis.pytest.from_fixture, whose lazy loader does not run
under pytest 9.)
"""
from __future__ import annotations

import os

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import status_code_conformance

from core.accounts import Role

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))


def fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> tuple[int, list[str]]:
    """Run one operation's cases of one mode: (how many, the failures found)."""
    failures: list[str] = []
    cases = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def call(case) -> None:
        nonlocal cases
        cases += 1
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
        except FailureGroup as failure:  # keep going: report every operation's failures at once
            failures.append(f"{operation.label} [{mode}] {response.status_code}: {failure}"[:600])

    try:
        call()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body): only the positive cases
        assert mode == GenerationMode.NEGATIVE, operation.label
    return cases, failures


def test_no_operation_answers_a_server_error_or_an_undocumented_status(app, election, make_user, api_headers):
    election()
    headers = api_headers(make_user(Role.ADMIN))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    cases = 0
    for result in schema.get_all_operations():
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            count, found = fuzz(result.ok(), mode, headers)
            cases += count
            failures += found
    print(f"schemathesis: {cases} cases, {len(failures)} failures")
    assert not failures, "\n".join(failures)
