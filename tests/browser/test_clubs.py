"""A project applies to an investor club, the members vote in their own browsers, the
gérante records the investment and the portfolio shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tremplin.funding.clubs import votes
from tremplin.funding.clubs.models import ClubVote

pytestmark = pytest.mark.browser


def signed_in(new_page, socket_client, live_server, user, viewport=(1280, 900)):
    page = new_page(viewport=viewport)
    page.context.add_cookies(
        [{"name": "session", "value": socket_client.cookie_for(user), "url": live_server.url}]
    )
    return page


def test_a_project_applies_members_vote_and_the_portfolio_shows_the_investment(
    db,
    new_page,
    live_server,
    socket_client,
    make_club,
    make_member,
    make_project,
    pay_in,
    club_call,
):
    lucie = make_member("Lucie Marchand")
    jean = make_member("Jean-Pierre Morel")
    others = [make_member(name) for name in ("Nathalie Girard", "Olivier Roux", "Hélène Rousseau")]
    club = make_club(
        "Cigales de la Roquette", gerant=lucie, members=[jean, *others], is_public=True
    )
    for person in club.people:
        pay_in(club, person, 40_000)
    karim = make_member("Karim Benali")
    make_project(karim, title="Éco-retoucherie")

    # The project applies through the club's public card (a phone).
    porteur = signed_in(new_page, socket_client, live_server, karim, viewport=(390, 844))
    porteur.goto(f"/clubs/{club.id}/carte")
    porteur.get_by_role("link", name="Présenter mon projet").click()
    porteur.get_by_label("Montant demandé").fill("1 500")
    porteur.get_by_label("Parts sociales (capital)").check()
    porteur.get_by_label("Votre plan").fill(
        "Deux machines à coudre industrielles et une surjeteuse pour l’atelier de retouches."
    )
    porteur.get_by_role("button", name="Envoyer ma candidature").click()
    expect(porteur.locator(".alert--success")).to_contain_text("Candidature envoyée")

    # The gérante puts it to the vote.
    gerante = signed_in(new_page, socket_client, live_server, lucie)
    gerante.goto(f"/clubs/{club.id}/candidatures")
    gerante.get_by_role("link", name="Mettre au vote").click()
    gerante.get_by_role("button", name="Ouvrir le vote et prévenir les membres").click()
    expect(gerante.locator("h2#vote-title")).to_contain_text("Investir dans « Éco-retoucherie »")
    vote_url = gerante.url

    # Three members vote elsewhere (on their phones); two vote here, in two browsers.
    vote = db.session.query(ClubVote).one()
    for user, choice in zip(others, ["pour", "contre", "abstention"], strict=True):
        club_call(votes.cast, vote, user, choice)
    member = signed_in(new_page, socket_client, live_server, jean)
    member.goto(vote_url)
    member.locator(".ballot__option--pour").click()
    member.get_by_role("button", name="Voter", exact=True).click()
    expect(member.locator(".alert--success").first).to_contain_text("Votre vote est enregistré")
    member.locator("text=Vous avez voté").wait_for()

    gerante.reload()
    gerante.locator(".ballot__option--pour").click()
    gerante.get_by_role("button", name="Voter", exact=True).click()
    # Everyone has voted: the result is known at once, with its minutes.
    expect(gerante.locator(".tally")).to_contain_text("Adoptée")
    expect(gerante.locator(".tally__item--for dd")).to_have_text("3")
    gerante.get_by_role("link", name=re.compile("Lire le procès-verbal")).click()
    expect(gerante.locator(".minutes__body")).to_contain_text("Ont pris part au vote (5 sur 5)")
    gerante.go_back()

    # The investment is recorded; the portfolio shows it.
    gerante.get_by_role("link", name="Enregistrer l’investissement").click()
    expect(gerante.get_by_label("Montant investi")).to_have_value("1500")
    gerante.get_by_label("Forme juridique de l’entreprise").select_option("scop")
    gerante.get_by_label("Part du capital détenue par le club (%)").fill("40")
    gerante.get_by_label("Jean-Pierre Morel").check()
    gerante.get_by_role("button", name="Enregistrer l’investissement").click()
    expect(gerante.locator(".alert--success")).to_contain_text("Investissement enregistré")
    gerante.get_by_role("link", name="Portefeuille").click()
    holding = gerante.locator(".holding", has_text="Éco-retoucherie")
    expect(holding).to_contain_text("1\u202f500,00\u00a0€")
    expect(holding).to_contain_text("Suivi par Jean-Pierre Morel")
    gerante.get_by_role("link", name="Tableau de bord").click()
    expect(gerante.locator(".fund-figure--main")).to_contain_text("500,00")  # 2 000 − 1 500

    # The porteur learns the decision; the second member sees the portfolio too.
    porteur.goto(f"/clubs/{club.id}/candidatures/{vote.application_id}")
    expect(porteur.locator("article")).to_contain_text("Financée")
    member.goto(f"/clubs/{club.id}/portefeuille")
    expect(member.locator(".holding")).to_contain_text("Éco-retoucherie")
    assert not porteur.errors and not gerante.errors and not member.errors


def test_the_club_pages_fit_a_phone(
    db, new_page, live_server, socket_client, make_club, pay_in, club_call, accepted_application
):
    from tremplin.funding.clubs import investments

    club = make_club("Cigales du canal Saint-Martin")
    for person in club.people:
        pay_in(club, person, 40_000)
    application = accepted_application(club, amount_cents=150_000)
    club_call(
        investments.record_investment,
        club,
        club.people[0],
        application,
        investments.InvestmentFields(
            amount_cents=150_000,
            instrument="compte_courant",
            legal_form="sas",
            companion_ids=[club.people[1].id],
        ),
    )
    phone = signed_in(new_page, socket_client, live_server, club.people[0], viewport=(360, 740))
    for suffix in [
        "",
        "/epargne",
        "/tresorerie",
        "/votes",
        "/portefeuille",
        "/membres",
        "/investissements/1",
        "/etapes",
        "/repartition",
        "/reglement",
    ]:
        phone.goto(f"/clubs/{club.id}{suffix}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{suffix or 'dashboard'} scrolls sideways on a phone ({width}px)"
    assert not phone.errors


@pytest.mark.stripe
def test_a_member_saves_monthly_by_card_with_stripe_js(
    db, new_page, live_server, socket_client, make_club, localstripe
):
    from sqlalchemy import select

    from tremplin.funding.clubs import fund
    from tremplin.funding.clubs.models import SavingsPlan

    club = make_club("Cigales de la Bastille")
    saver = club.people[2]
    page = signed_in(new_page, socket_client, live_server, saver)
    page.goto(f"/clubs/{club.id}/epargne")
    page.get_by_role("textbox", name="Mon épargne mensuelle").fill("25")
    page.get_by_role("button", name="Prélever par carte").click()
    page.wait_for_selector("#payment-element[data-ready='1'] input")
    page.get_by_placeholder("number").fill("4242424242424242")
    page.get_by_placeholder("exp_month").fill("12")
    page.get_by_placeholder("exp_year").fill("34")
    page.get_by_placeholder("cvc").fill("123")
    page.get_by_placeholder("postal_code").fill("75011")
    page.get_by_role("button", name="Enregistrer ma carte et commencer").click()
    page.wait_for_url(re.compile(r".*/epargne$"))
    expect(page.locator(".flashes")).to_contain_text("sera prélevée sur votre carte")
    plan = db.session.scalar(select(SavingsPlan))
    assert plan.method == "stripe" and plan.monthly_cents == 2_500
    assert fund.balance(club.id) == 2_500
    assert not page.errors
