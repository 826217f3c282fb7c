"""Profiles: editing one's own, per-field visibility for visitors, members and the owner,
and the member directory with its filters."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from tremplin.members.models import Profile, ProfileTag
from tremplin.members.people import visible_profile
from tremplin.platform.types import utcnow


def profile_post(**overrides) -> dict:
    data = {
        "display_name": "Awa Diallo",
        "bio": "Je fabrique des **cosmétiques**.",
        "commune": "Montreuil",
        "departement": "93",
        "skills": "Couture, formulation, couture",
        "themes": ["cosmetique", "textile"],
        "languages": ["fr", "wo"],
        "roles": ["porteur"],
        "links-0-label": "Mon site",
        "links-0-url": "https://awa.example.org",
        "links-1-label": "",
        "links-1-url": "",
        "links-2-label": "",
        "links-2-url": "",
        "phone": "01 99 00 12 34",
    }
    for name in (
        "avatar",
        "roles",
        "themes",
        "skills",
        "bio",
        "location",
        "languages",
        "links",
        "phone",
    ):
        data[f"{name}_visibility"] = "public"
    data.update(overrides)
    return data


def test_member_fills_in_their_profile_and_sees_it(client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    response = client.post("/profil/modifier", data=profile_post())
    assert response.status_code == 302
    assert response.headers["Location"] == f"/membres/{awa.id}"

    profile = db.session.get(Profile, awa.id)
    assert profile.skills == ["Couture", "formulation"]  # "couture" twice: kept once
    assert profile.themes == ["cosmetique", "textile"]
    assert profile.languages == ["fr", "wo"] and profile.roles == ["porteur"]
    assert profile.links == [{"label": "Mon site", "url": "https://awa.example.org"}]
    assert profile.commune == "Montreuil" and profile.departement == "93"

    page = client.get(f"/membres/{awa.id}").text
    assert "<strong>cosmétiques</strong>" in page
    assert "Couture" in page and "Wolof" in page and "Seine-Saint-Denis (93)" in page
    assert "Visible par tout le monde" in page  # the owner is told who sees each field


def test_editing_again_replaces_tags_without_duplicates(client, auth, db, make_member):
    awa = auth.login_as(make_member("Awa"))
    client.post("/profil/modifier", data=profile_post(skills="Couture, Vente"))
    client.post(
        "/profil/modifier", data=profile_post(skills="vente, Comptabilité", themes=["textile"])
    )
    profile = db.session.get(Profile, awa.id)
    db.session.refresh(profile)
    assert profile.skills == ["vente", "Comptabilité"]
    assert profile.themes == ["textile"]
    keys = db.session.scalars(select(ProfileTag.key).where(ProfileTag.kind == "skill")).all()
    assert sorted(keys) == ["comptabilité", "vente"]


def test_profile_errors_are_shown_next_to_the_fields_and_input_is_kept(
    client, auth, db, make_member
):
    awa = auth.login_as(make_member("Awa"))
    response = client.post(
        "/profil/modifier",
        data=profile_post(
            display_name="A", phone="appelle-moi", **{"links-0-url": "javascript:alert(1)"}
        ),
    )
    assert response.status_code == 200
    page = response.text
    assert 'id="display_name-error"' in page and "Entre 2 et 80 caractères" in page
    assert 'id="phone-error"' in page and "numéro de téléphone n’est pas valide" in page
    assert "commençant par https://" in page
    assert 'value="Montreuil"' in page  # what was typed stays
    assert db.session.get(Profile, awa.id) is None  # nothing saved


def test_too_many_skills_are_refused(client, auth, db, make_member):
    auth.login_as(make_member("Awa"))
    skills = ", ".join(f"Compétence {i}" for i in range(25))
    response = client.post("/profil/modifier", data=profile_post(skills=skills))
    assert response.status_code == 200
    assert "20 compétences au maximum" in response.text


def test_unknown_vocabulary_values_are_refused(client, auth, db, make_member):
    auth.login_as(make_member("Awa"))
    response = client.post("/profil/modifier", data=profile_post(themes=["piraterie"]))
    assert response.status_code == 200
    assert "Choisissez parmi les valeurs proposées" in response.text


def test_editing_the_profile_needs_an_account(client, db):
    response = client.get("/profil/modifier")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_unknown_or_deleted_member_is_404(client, db, make_member):
    gone = make_member("Parti")
    gone.deleted_at = utcnow()
    db.session.commit()
    assert client.get("/membres/999999").status_code == 404
    assert client.get(f"/membres/{gone.id}").status_code == 404


# --- per-field visibility -------------------------------------------------------------------

# field -> (profile columns / tags to set, text that shows the field on the profile page)
FIELDS = {
    "bio": ({"bio": "Ma présentation confidentielle"}, "Ma présentation confidentielle"),
    "location": ({"commune": "Bagnolet-les-Bains"}, "Bagnolet-les-Bains"),
    "languages": ({"languages": ["snk"]}, "Soninké"),
    "skills": ({"skills": ["Tannerie végétale"]}, "Tannerie végétale"),
    "themes": ({"themes": ["tourisme-solidaire"]}, "Tourisme social et solidaire"),
    "roles": ({"roles": ["investisseur"]}, "Investisseur·se"),
    "links": (
        {"links": [{"label": "Mon carnet", "url": "https://carnet.example.org"}]},
        "https://carnet.example.org",
    ),
    "phone": ({"phone": "01 99 00 77 66"}, "01 99 00 77 66"),
}
EXPECTED = {  # level -> who sees it
    "public": {"visitor": True, "member": True, "owner": True},
    "members": {"visitor": False, "member": True, "owner": True},
    "private": {"visitor": False, "member": False, "owner": True},
}


@pytest.mark.parametrize("level", ["public", "members", "private"])
@pytest.mark.parametrize("field", list(FIELDS))
def test_each_field_is_shown_only_to_whom_its_owner_chose(
    client, auth, db, make_member, make_profile, field, level
):
    owner = make_member("Nadia Ferhat")
    member = make_member("Karim")
    values, marker = FIELDS[field]
    make_profile(owner, visibility={field: level}, **values)

    seen = {}
    seen["visitor"] = marker in client.get(f"/membres/{owner.id}").text
    auth.login_as(member)
    seen["member"] = marker in client.get(f"/membres/{owner.id}").text
    auth.login_as(owner)
    seen["owner"] = marker in client.get(f"/membres/{owner.id}").text
    assert seen == EXPECTED[level]


@pytest.mark.parametrize("level", ["public", "members", "private"])
def test_visible_profile_gives_other_modules_only_the_allowed_fields(
    db, make_member, make_profile, level
):
    owner, member = make_member("Nadia"), make_member("Karim")
    make_profile(
        owner,
        bio="bio",
        commune="Montreuil",
        departement="93",
        phone="0199001122",
        skills=["Couture"],
        themes=["textile"],
        languages=["fr"],
        roles=["porteur"],
        links=[{"label": "x", "url": "https://x.example"}],
        visibility={
            name: level
            for name in (
                "bio",
                "location",
                "phone",
                "skills",
                "themes",
                "languages",
                "roles",
                "links",
            )
        },
    )
    for viewer, who in ((AnonymousUserMixin(), "visitor"), (member, "member"), (owner, "owner")):
        view = visible_profile(viewer, owner)
        shown = EXPECTED[level][who]
        assert (view.bio == "bio") is shown
        assert (view.commune == "Montreuil" and view.departement == "93") is shown
        assert (view.phone == "0199001122") is shown
        assert (view.skills == ["Couture"]) is shown and (view.themes == ["textile"]) is shown
        assert (view.languages == ["fr"]) is shown and (view.roles == ["porteur"]) is shown
        assert bool(view.links) is shown
        assert view.display_name == "Nadia"  # the name is always shown


# --- directory --------------------------------------------------------------------------------


def test_directory_is_for_members(client, db):
    response = client.get("/membres")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]


def test_directory_filters_by_role_theme_skill_territory_and_language(
    client, auth, db, make_member, make_profile
):
    viewer = auth.login_as(make_member("Lectrice"))
    make_profile(viewer)
    awa, karim, julien = make_member("Awa"), make_member("Karim"), make_member("Julien")
    make_profile(
        awa,
        roles=["porteur"],
        themes=["cosmetique"],
        skills=["Formulation"],
        languages=["wo"],
        departement="93",
    )
    make_profile(
        karim,
        roles=["porteur", "mentor"],
        themes=["textile"],
        skills=["Couture"],
        languages=["ar"],
        departement="75",
    )
    make_profile(
        julien,
        roles=["mentor"],
        themes=["numerique"],
        skills=["Développement web"],
        languages=["en"],
        departement="69",
    )

    def names(query: str) -> set[str]:
        page = client.get(f"/membres?{query}").text
        return {n for n in ("Awa", "Karim", "Julien", "Lectrice") if f">{n}</a>" in page}

    assert names("") == {"Awa", "Karim", "Julien", "Lectrice"}
    assert names("role=mentor") == {"Karim", "Julien"}
    assert names("theme=cosmetique") == {"Awa"}
    assert names("skill=COUTURE") == {"Karim"}  # case does not matter
    assert names("departement=69") == {"Julien"}
    assert names("language=ar") == {"Karim"}
    assert names("role=porteur&departement=93") == {"Awa"}
    assert names("q=jul") == {"Julien"}
    assert names("role=pirate") == {"Awa", "Karim", "Julien", "Lectrice"}  # unknown: ignored


def test_directory_filters_never_reveal_a_hidden_field(client, auth, db, make_member, make_profile):
    auth.login_as(make_member("Lectrice"))
    secret = make_member("Discrète")
    make_profile(
        secret,
        skills=["Comptabilité"],
        languages=["tr"],
        departement="13",
        roles=["investisseur"],
        visibility={
            "skills": "private",
            "languages": "private",
            "location": "private",
            "roles": "private",
        },
    )
    for query in ("skill=Comptabilité", "language=tr", "departement=13", "role=investisseur"):
        assert ">Discrète</a>" not in client.get(f"/membres?{query}").text, query
    assert ">Discrète</a>" in client.get("/membres").text  # still listed by name


def test_directory_leaves_out_unconfirmed_suspended_and_deleted_accounts(
    client, auth, db, make_member
):
    auth.login_as(make_member("Lectrice"))
    make_member("Pas confirmée", confirmed=False)
    make_member("Suspendu").suspended_at = utcnow()
    make_member("Supprimée").deleted_at = utcnow()
    db.session.commit()
    page = client.get("/membres").text
    for name in ("Pas confirmée", "Suspendu", "Supprimée"):
        assert f">{name}</a>" not in page


def test_directory_is_paged(client, auth, db, make_member):
    auth.login_as(make_member("Aaa Lectrice"))
    for i in range(30):
        make_member(f"Membre {i:02d}")
    first = client.get("/membres").text
    second = client.get("/membres?page=2").text
    assert "Page 1 sur 2" in first and "Page 2 sur 2" in second
    assert ">Membre 00</a>" in first and ">Membre 29</a>" in second
    assert ">Membre 29</a>" not in first


def test_skill_suggestions_leave_out_private_skills(app, db, make_member, make_profile):
    from tremplin.members.profiles import skill_suggestions

    make_profile(make_member(), skills=["Couture"])
    make_profile(make_member(), skills=["couture", "Vente"])
    make_profile(make_member(), skills=["Secret"], visibility={"skills": "private"})
    suggestions = skill_suggestions()
    assert suggestions[0].lower() == "couture"
    assert "Vente" in suggestions and "Secret" not in suggestions
