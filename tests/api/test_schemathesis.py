"""The live server against its own OpenAPI document (Schemathesis): property-based cases for
every operation, then a stateful run along the links Schemathesis infers between operations.
No 500, and every response — status, content type, headers, body — matches the document.

Bounded (a dozen examples per operation, a few short stateful walks) so it runs in about a
minute. Schemathesis's pytest plugin is not used: its subtests clash with this pytest."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 12
SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture
def api_world(
    app,
    live_server,
    make_member,
    make_token,
    make_meetup,
    make_group,
    make_project,
    make_need,
    make_campaign,
    register,
):
    """A small network with something behind most ids, and a token with every scope."""
    app.config["RATELIMIT_API"] = "100000 per minute"
    member = make_member("Awa")
    group = make_group("Restauration", members=[member])
    make_group("Cercle privé", visibility="private")
    meetup = make_meetup("Café Projets")
    make_meetup("Réunion du groupe", group=group)
    register(meetup, member)
    project = make_project(make_member("Nadia"))
    make_need(project)
    make_campaign(project)
    token = make_token(member, scopes=["read", "rsvp", "help", "chat", "notifications"])
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    return {"url": live_server.url, "token": token, "schema": schema}


def _auth(world) -> dict:
    return {"Authorization": f"Bearer {world['token']}"}


def test_every_operation_matches_the_document(api_world):
    operations = [result.ok() for result in api_world["schema"].get_all_operations()]
    assert len(operations) >= 18
    calls = []
    for operation in operations:
        # A cursor is opaque: one made up by the generator is rightly refused (400), which
        # test_api_reads checks; here cursors come only from the server (stateful run).
        @given(case=operation.as_strategy().filter(lambda c: not (c.query or {}).get("cursor")))
        @settings(max_examples=EXAMPLES, **SETTINGS)
        def check(case):
            response = case.call_and_validate(headers=_auth(api_world))
            calls.append((case.operation.label, response.status_code))

        check()
    statuses = {status for _label, status in calls}
    assert 500 not in statuses and 200 in statuses
    assert len(calls) >= len(operations) * 3  # every operation was really exercised


def test_stateful_walk_matches_the_document(api_world):
    machine = api_world["schema"].as_state_machine()
    world = api_world

    class Authenticated(machine):
        def get_call_kwargs(self, case):
            return {"headers": _auth(world)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # A made-up cursor is rightly refused (400); every other check still applies.
            excluded = [positive_data_acceptance] if (case.query or {}).get("cursor") else []
            case.validate_response(
                response, additional_checks=additional_checks, excluded_checks=excluded
            )

    run_state_machine_as_test(
        Authenticated, settings=settings(max_examples=6, stateful_step_count=5, **SETTINGS)
    )
