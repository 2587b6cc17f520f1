"""Property-based tests of the JSON API from its own OpenAPI description (schemathesis).

Every operation of `/openapi.json` is called with generated parameters, valid and not, as an
anonymous caller, a reader without grants and an admin, against the three-dataset archive of
the access tests: no answer is a server error, and every answer is one the description
declares (status, content type, body schema). A fixed seed and a few examples per operation
keep it to seconds in CI; `TRAWL_API_EXAMPLES=500` runs a longer campaign.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

EXAMPLES = int(os.environ.get("TRAWL_API_EXAMPLES", "15"))


CALLERS = ("anonymous", "reader", "admin")
# A request valid by the description may still be refused with 400 where a rule spans
# parameters (an empty `q` with no filter), which OpenAPI cannot say.
NOT_CHECKED = [schemathesis.checks.positive_data_acceptance]
CHECKED = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                   suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="session")
def operations(app) -> list:
    found = [result.ok() for result in
             schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations()]
    assert len(found) >= 10, "the API describes its operations"
    return found


# Driven by hand rather than by schemathesis's pytest plugin, whose lazy fixtures this pytest
# does not take: one hypothesis run per operation and caller.
@pytest.mark.parametrize("who", CALLERS)
def test_the_api_answers_within_its_description(operations, callers, who):
    headers = callers[who].headers()
    for operation in operations:
        @given(case=operation.as_strategy())
        @CHECKED
        def call(case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=NOT_CHECKED)

        call()
