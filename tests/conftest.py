"""Test kit. Fixtures live in tests/kit/ (one plugin per concern) and are loaded here.

Run the database tests on PostgreSQL with TREMPLIN_TEST_DATABASE=postgresql (what
`make test` does when PostgreSQL answers, and what CI requires).
"""

pytest_plugins = [
    "tests.kit.speed",
    "tests.kit.app",
    "tests.kit.live",
    "tests.kit.browser",
    "tests.kit.factories",
    "tests.kit.factories_members",
    "tests.kit.factories_groups",
    "tests.kit.factories_meetups",
    "tests.kit.factories_mentoring",
    "tests.kit.factories_search",
    "tests.kit.factories_funding",
    "tests.kit.factories_clubs",
    "tests.kit.localstripe",
    "tests.kit.stripe_recorder",
    "tests.kit.s3",
    "tests.kit.factories_api",
]
