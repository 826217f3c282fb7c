"""Matching: the ranking and its reasons on hand-built cases, the property that a mentor at
capacity or unavailable never appears, and the fixed number of statements of the page."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tremplin.mentoring import matching
from tremplin.mentoring.matching import Candidate, Wanted
from tremplin.mentoring.models import P_ACTIVE, P_COMPLETED, P_PAUSED, P_PROPOSED, Pairing
from tremplin.mentoring.services import paris_today
from tremplin.platform.extensions import db as _db
from tremplin.platform.models import User


def reasons_of(suggestion) -> list[str]:
    return [reason.text for reason in suggestion.reasons]


@pytest.fixture
def awa_request(make_member, make_request):
    awa = make_member("Awa Diallo")
    return make_request(
        awa,
        needs=["financement", "gestion", "business-plan", "juridique"],
        languages=["fr", "wo"],
        departement="93",
        sector="cosmetique",
    )


def test_the_best_fit_comes_first_with_its_reasons_in_words(
    app, make_member, make_offer, awa_request
):
    fatou = make_member("Fatou Sow")
    make_offer(
        fatou,
        skills=["financement", "gestion", "business-plan", "pitch"],
        languages=["fr", "wo"],
        departements=["93"],
        sectors=["cosmetique"],
        max_mentees=2,
    )
    jean = make_member("Jean Morel")
    make_offer(
        jean,
        skills=["financement", "gestion"],
        languages=["fr"],
        departements=["94"],
        max_mentees=3,
        format="in_person",
    )
    sophie = make_member("Sophie Lambert")
    make_offer(
        sophie,
        skills=["marketing"],
        languages=["fr", "en"],
        departements=["92"],
        max_mentees=1,
        format="online",
    )

    result = matching.suggest(awa_request)

    assert [s.mentor.display_name for s in result.items] == [
        "Fatou Sow",
        "Jean Morel",
        "Sophie Lambert",
    ]
    assert reasons_of(result.items[0]) == [
        "3 de vos besoins correspondent à ses compétences",
        "connaît votre secteur (Cosmétique)",
        "parle wolof et français",
        "même département",
        "2 places libres",
    ]
    assert result.items[0].reasons[0].detail == (
        "Recherche de financements, Gestion, comptabilité et trésorerie, "
        "Business plan et modèle économique"
    )
    # Jean meets in person only, in another département: no territory reason.
    assert reasons_of(result.items[1]) == [
        "2 de vos besoins correspondent à ses compétences",
        "parle français",
        "3 places libres",
    ]
    assert reasons_of(result.items[2]) == [
        "parle français",
        "accompagne à distance",
        "1 place libre",
    ]
    assert result.items[0].percent > result.items[1].percent > result.items[2].percent
    assert result.items[0].percent <= 100


def test_free_places_break_ties_and_count_only_open_pairings(
    app, make_member, make_offer, make_pairing, awa_request
):
    busy, free = make_member("Occupée"), make_member("Libre")
    make_offer(busy, skills=["financement"], max_mentees=3, departements=["75"])
    make_offer(free, skills=["financement"], max_mentees=3, departements=["75"])
    make_pairing(busy, make_member(), state=P_ACTIVE)
    make_pairing(busy, make_member(), state=P_COMPLETED)  # done: frees its place
    make_pairing(free, make_member(), state=P_COMPLETED)

    items = matching.suggest(awa_request).items

    assert [s.mentor.display_name for s in items] == ["Libre", "Occupée"]
    assert items[0].free_places == 3 and items[1].free_places == 2
    assert reasons_of(items[1])[-1] == "2 places libres"


def test_unavailable_full_deleted_self_and_already_paired_mentors_are_not_proposed(
    app, make_member, make_offer, make_pairing, awa_request
):
    porteur = awa_request.porteur
    make_offer(make_member("Disponible"))
    make_offer(make_member("En pause"), is_available=False)
    full = make_member("Complète")
    make_offer(full, max_mentees=1)
    make_pairing(full, make_member(), state=P_PAUSED)  # paused still holds the place
    proposed = make_member("Proposée")
    make_offer(proposed, max_mentees=1)
    make_pairing(proposed, make_member(), state=P_PROPOSED)
    gone = make_member("Partie")
    make_offer(gone)
    from tremplin.platform.types import utcnow

    gone.deleted_at = utcnow()
    make_offer(porteur)  # a porteur who also mentors is never their own mentor
    paired = make_member("Déjà binôme")
    make_offer(paired, max_mentees=3)
    make_pairing(paired, porteur, state=P_ACTIVE)
    _db.session.commit()

    names = [s.mentor.display_name for s in matching.suggest(awa_request).items]

    assert names == ["Disponible"]


def test_a_mentor_already_asked_shows_as_waiting(
    app, make_member, make_offer, make_request, awa_request
):
    fatou = make_member("Fatou")
    make_offer(fatou)
    make_request(awa_request.porteur, state="pending", mentor=fatou)

    [item] = matching.suggest(awa_request).items

    assert item.already_asked


def test_the_porteur_sees_who_fits_and_why(client, auth, make_member, make_offer, make_request):
    porteur = make_member("Awa")
    request = make_request(porteur, needs=["financement"], languages=["fr", "wo"], departement="93")
    make_offer(
        make_member("Fatou Sow"),
        skills=["financement"],
        languages=["wo", "fr"],
        departements=["93"],
        max_mentees=1,
    )
    auth.login_as(porteur)

    page = client.get(f"/parrainage/demandes/{request.id}/suggestions")

    assert page.status_code == 200
    assert "Fatou Sow" in page.text
    for reason in (
        "1 de vos besoins correspond à ses compétences",
        "parle wolof et français",
        "même département",
        "1 place libre",
    ):
        assert reason in page.text
    assert "Envoyer ma demande" in page.text


def test_only_the_porteur_and_organisers_see_the_suggestions(
    client, auth, make_member, make_organiser, make_request
):
    request = make_request(make_member("Awa"))
    auth.login_as(make_member("Curieux"))
    assert client.get(f"/parrainage/demandes/{request.id}/suggestions").status_code == 403
    auth.login_as(make_organiser())
    page = client.get(f"/parrainage/demandes/{request.id}/suggestions")
    assert page.status_code == 200


# --- the property -------------------------------------------------------------------------

mentor_specs = st.lists(
    st.tuples(
        st.booleans(),  # available
        st.integers(min_value=1, max_value=3),  # max mentees
        st.integers(min_value=0, max_value=4),  # open pairings (may exceed capacity)
        st.sets(st.sampled_from(["financement", "gestion", "pitch", "marketing"]), min_size=1),
        st.sets(st.sampled_from(["fr", "wo", "ar"]), min_size=1),
        st.sampled_from(["both", "online", "in_person"]),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    specs=mentor_specs,
    needs=st.sets(st.sampled_from(["financement", "gestion", "pitch"]), min_size=1),
)
def test_a_mentor_at_capacity_or_unavailable_never_appears(
    app, make_offer, make_request, specs, needs
):
    # Nothing is committed: each example is rolled back, so examples never see each other.
    counter = iter(range(10_000))

    def person():
        user = User(display_name=f"P{next(counter)}", email=f"p{next(counter)}-{id(specs)}@ex.fr")
        _db.session.add(user)
        _db.session.flush()
        return user

    try:
        request = make_request(person(), needs=sorted(needs), commit=False)
        today = paris_today()
        eligible = set()
        for available, places, taken, skills, languages, fmt in specs:
            mentor = person()
            make_offer(
                mentor,
                skills=sorted(skills),
                languages=sorted(languages),
                format=fmt,
                max_mentees=places,
                is_available=available,
                commit=False,
            )
            for _ in range(taken):
                _db.session.add(
                    Pairing(
                        mentor_id=mentor.id,
                        porteur_id=person().id,
                        state=P_ACTIVE,
                        started_on=today,
                        planned_end_on=today,
                    )
                )
            _db.session.flush()
            if available and taken < places:
                eligible.add(mentor.id)

        ranked, _pending = matching.rank_request(request)
        shown = {s.candidate.user_id for s in ranked}

        assert shown == eligible
        assert all(s.candidate.free_places > 0 for s in ranked)
        points = [s.points for s in ranked]
        assert points == sorted(points, reverse=True)
    finally:
        _db.session.rollback()


def test_score_is_pure_and_explains_every_point():
    wanted = Wanted(
        needs=("financement", "gestion"),
        languages=("fr", "wo"),
        departement="93",
        sector="cosmetique",
        format="both",
    )
    candidate = Candidate(
        offer_id=1,
        user_id=2,
        format="both",
        max_mentees=5,
        load=1,
        skills={"financement"},
        sectors={"cosmetique"},
        languages={"fr", "wo"},
        departements={"93"},
    )
    scored = matching.score(wanted, candidate)
    assert scored.points == sum(r.points for r in scored.reasons)
    assert [r.kind for r in scored.reasons] == [
        "needs",
        "sector",
        "languages",
        "territory",
        "places",
    ]
    assert scored.points == 30 + 6 + (2 * 2 + 2) + 5 + 3


def test_two_matching_needs_beat_one_need_and_the_sector():
    """The case a porteur met: one matching need plus the sector ranked above two
    matching needs (51 % against 45 %)."""
    wanted = Wanted(needs=("financement", "gestion"), departement="93", sector="cosmetique")
    one_and_sector = Candidate(1, 1, "both", 5, 0, {"financement"}, {"cosmetique"}, {"fr"}, {"93"})
    two_needs = Candidate(2, 2, "online", 1, 0, {"financement", "gestion"}, set(), set(), set())
    ranked = matching.rank(wanted, [one_and_sector, two_needs])
    assert [s.candidate.user_id for s in ranked] == [2, 1]


CODES = ["financement", "gestion", "pitch", "juridique", "marketing"]
candidates_st = st.builds(
    lambda skills, sectors, langs, deps, fmt, places, load: Candidate(
        0, 0, fmt, places, min(load, places), skills, sectors, langs, deps
    ),
    st.sets(st.sampled_from(CODES)),
    st.sets(st.sampled_from(["cosmetique", "restauration"])),
    st.sets(st.sampled_from(["fr", "wo", "ar", "en"])),
    st.sets(st.sampled_from(["75", "93"])),
    st.sampled_from(["both", "online", "in_person"]),
    st.integers(1, 6),
    st.integers(0, 6),
)


@given(
    wanted=st.builds(
        Wanted,
        needs=st.lists(st.sampled_from(CODES), min_size=1, max_size=5, unique=True).map(tuple),
        languages=st.lists(st.sampled_from(["fr", "wo", "ar", "en"]), min_size=1, unique=True).map(
            tuple
        ),
        departement=st.sampled_from([None, "75", "93"]),
        sector=st.sampled_from([None, "cosmetique", "restauration"]),
        format=st.sampled_from(["both", "online", "in_person"]),
    ),
    a=candidates_st,
    b=candidates_st,
)
def test_a_mentor_answering_more_needs_always_scores_higher(wanted, a, b):
    matched_a = len(set(wanted.needs) & a.skills)
    matched_b = len(set(wanted.needs) & b.skills)
    if matched_a > matched_b:
        assert matching.score(wanted, a).points > matching.score(wanted, b).points


# --- a fixed number of statements -----------------------------------------------------------


def test_the_suggestions_page_answers_with_a_fixed_number_of_statements(
    client, auth, make_member, make_offer, make_request, make_pairing, count_statements
):
    porteur = make_member("Porteuse")
    request = make_request(porteur, needs=["financement", "gestion"], languages=["fr", "wo"])
    auth.login_as(porteur)

    def add_mentors(n):
        for i in range(n):
            mentor = make_member(f"Mentor {i}")
            make_offer(
                mentor,
                skills=["financement", "pitch"],
                languages=["fr", "wo"],
                departements=["75", "93"],
                max_mentees=2,
                commit=False,
            )
            if i % 3 == 0:
                make_pairing(mentor, make_member(), commit=False)
        _db.session.commit()

    add_mentors(3)
    client.get(f"/parrainage/demandes/{request.id}/suggestions")  # warm caches
    _db.session.expire_all()  # both pages start from what the database holds
    with count_statements() as few:
        assert client.get(f"/parrainage/demandes/{request.id}/suggestions").status_code == 200
    add_mentors(30)
    _db.session.expire_all()
    with count_statements() as many:
        page = client.get(f"/parrainage/demandes/{request.id}/suggestions")
    assert page.status_code == 200
    assert page.text.count('class="card mentoring-match"') == matching.PER_PAGE
    assert many.count == few.count, many.statements
