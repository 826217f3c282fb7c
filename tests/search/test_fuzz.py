"""Whatever is typed, search answers: hypothesis throws text, Whoosh syntax and filters at
the parser, the query function and both HTTP endpoints."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.search.query import MAX_QUERY_LENGTH, MAX_WORDS, SearchOptions, parse

SYNTAX = [
    "AND",
    "OR",
    "NOT",
    "ET",
    "OU",
    '"',
    "«",
    "»",
    "“",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "*",
    "?",
    ":",
    "~",
    "^",
    "+",
    "-",
    "\\",
    "/",
    "'",
    "’",
    "TO",
    "title:",
    "body:",
    "acl:anyone",
    "<",
    ">",
    "&",
    "%",
    "\x00",
    "\n",
    "\t",
    " ",
]
WORDS = [
    "cosmétique",
    "cosmetique",
    "bénévoles",
    "ferme",
    "urbaine",
    "savon",
    "é",
    "a",
    "l'économie",
    "🙂",
    "日本",
    "x" * 80,
]

queries = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=30).map("".join),
    st.lists(st.sampled_from(SYNTAX + WORDS), max_size=30).map(" ".join),
)
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@given(text=queries)
@settings(max_examples=400, deadline=None)
def test_parse_is_total_and_bounded(text):
    parsed = parse(text)
    assert len(parsed.text) <= MAX_QUERY_LENGTH
    assert len(parsed.words) <= MAX_WORDS
    assert all(any(ch.isalnum() for ch in w) for w in parsed.words)


@FUZZ
@given(
    text=queries,
    instant=st.booleans(),
    sort=st.sampled_from(["pertinence", "date", "x"]),
    page=st.integers(min_value=-5, max_value=10_000),
    types=st.lists(st.sampled_from(["project", "message", "member", "nope", ""]), max_size=3),
    theme=st.sampled_from([None, "cosmetique", "???"]),
    period=st.sampled_from([None, "7-jours", "a-venir", "hier"]),
)
def test_search_never_raises(
    search_world, find, visitor, text, instant, sort, page, types, theme, period
):
    for user in (visitor, search_world.awa):
        results = find(
            user,
            text,
            SearchOptions(sort=sort, types=types, theme=theme, period=period),
            instant=instant,
            page=page,
        )
        assert results.total >= 0 and results.page >= 1


@FUZZ
@given(text=queries)
def test_both_endpoints_answer_200(app, client, search_world, text):
    app.config["RATELIMIT_SEARCH"] = "100000 per minute"
    assert client.get("/recherche", query_string={"q": text}).status_code == 200
    answer = client.get("/recherche/suggestions", query_string={"q": text})
    assert answer.status_code == 200 and "results" in answer.json
