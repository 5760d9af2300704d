"""Fuzzing the OpenAPI schema (schemathesis) against a live server finds no 5xx."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import PASSWORD, Bank, start_server, stop_server

#: Examples per operation and role: enough to reach every handler's error paths, small
#: enough for the suite's time budget.
EXAMPLES = 12


@pytest.mark.slow
def test_openapi_fuzz_finds_no_server_errors(bank: Bank) -> None:
    assert bank.copy is not None
    proc, url = start_server(bank.copy)
    try:
        headers = {}
        for role in ("compliance", "admin", "marketer"):
            r = httpx.post(f"{url}/api/auth/token", data={"username": role, "password": PASSWORD})
            headers[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 15
        failures: list[str] = []
        statuses: dict[int, int] = {}
        for operation in operations:
            strategy = operation.as_strategy()

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=strategy, role=st.sampled_from(sorted(headers)))
            def check(case: schemathesis.Case, role: str) -> None:
                # the schema's security schemes make schemathesis invent credentials; use ours
                case.headers = {k: v for k, v in (case.headers or {}).items()
                                if k.lower() not in ("authorization", "x-api-key")}
                response = case.call(base_url=url, headers=headers[role], timeout=30)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} as {role}: "
                                    f"{response.status_code} {response.text[:200]}")

            check()
        assert not failures, "\n".join(failures)
        print("fuzz statuses:", dict(sorted(statuses.items())))
        assert sum(statuses.values()) >= 5 * len(operations)
        assert statuses.get(200, 0) > 0 and statuses.get(403, 0) > 0 and statuses.get(422, 0) > 0
        health = httpx.get(f"{url}/api/health")
        assert health.status_code == 200
    finally:
        stop_server(proc)
