"""Atom feeds of a campaign's news and of a group's announcements (the messages its
moderators pinned), linked from the pages, parsed with feedparser, and as discreet as
the pages: a campaign's feed follows its page's policy; a group's feed is a member's own
signed URL, checked against the group's read policy on every fetch."""

from __future__ import annotations

import re

import feedparser
from sqlalchemy import select

from tremplin.platform.extensions import db as _db


def alternate(page_text: str) -> str:
    found = re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]+)">',
        page_text,
    )
    assert found, "no Atom <link rel=alternate> in the page head"
    return found.group(1).replace("&amp;", "&")


def parse(answer):
    assert answer.status_code == 200, answer.status_code
    assert answer.mimetype == "application/atom+xml"
    feed = feedparser.parse(answer.data)
    assert not feed.bozo, feed.bozo_exception
    return feed


def post_update(app, campaign, author, title, body):
    from tremplin.funding import campaigns

    with app.test_request_context():
        campaigns.post_update(_db.session.merge(campaign), author, title=title, body=body)
        _db.session.commit()


def test_campaign_feed_lists_its_news_and_is_linked_from_the_page(app, client, db, make_campaign):
    campaign = make_campaign(title="Une épicerie solidaire")
    author = campaign.project.owner
    post_update(app, campaign, author, "Le local est signé", "Rendez-vous **samedi**.")
    post_update(app, campaign, author, "Merci !", "Déjà 40 soutiens.")
    page = client.get(f"/collectes/{campaign.id}").text
    href = alternate(page)
    assert href.endswith(f"/collectes/{campaign.id}/actualites.atom")
    feed = parse(client.get(href))
    assert feed.feed.title == "Une épicerie solidaire · actualités"
    assert [e.title for e in feed.entries] == ["Merci !", "Le local est signé"]
    assert re.search(rf"/collectes/{campaign.id}#actualite-\d+$", feed.entries[1].link)
    assert "<strong>samedi</strong>" in feed.entries[1].content[0].value


def test_campaign_feed_is_hidden_where_the_page_is(
    client, db, auth, make_campaign, make_project, make_member
):
    members_only = make_project(make_member("Porteuse"), visibility="members")
    hidden = make_campaign(project=members_only)
    assert client.get(f"/collectes/{hidden.id}/actualites.atom").status_code == 404
    auth.login_as(make_member("Awa Diallo"))  # a member sees the page, but a feed reader
    page = client.get(f"/collectes/{hidden.id}")  # could not: no link to a dead feed
    assert page.status_code == 200 and "actualites.atom" not in page.text
    client.post("/deconnexion")
    draft = make_campaign(status="draft")
    assert client.get(f"/collectes/{draft.id}/actualites.atom").status_code == 404
    assert client.get("/collectes/999999/actualites.atom").status_code == 404


def pin(app, actor, message):
    from tremplin.groups import moderation

    with app.test_request_context():
        moderation.pin_message(_db.session.merge(actor), _db.session.merge(message))
        _db.session.commit()


def channel_of(group):
    from tremplin.groups.models import Channel

    return _db.session.scalars(select(Channel).where(Channel.group_id == group.id)).first()


def test_group_feed_is_a_members_own_url_with_the_pinned_messages(
    app, client, db, auth, make_member, make_organiser, make_group, post_message
):
    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    group = make_group("Cuisines solidaires", organiser=claire, members=[awa])
    channel = channel_of(group)
    pinned = post_message(claire, channel, "Assemblée le 12 : **venez nombreux**.")
    post_message(awa, channel, "Un message ordinaire")
    pin(app, claire, pinned)

    # Anonymous visitors: no feed link on the page, and no feed without a key.
    assert "application/atom+xml" not in client.get(f"/groupes/{group.slug}").text
    assert client.get(f"/groupes/{group.slug}/annonces.atom").status_code == 404

    auth.login_as(awa)
    href = alternate(client.get(f"/groupes/{group.slug}").text)
    assert "jeton=" in href
    client.post("/deconnexion")  # a feed reader has no session: the key alone opens it
    answer = client.get(href)
    assert answer.status_code == 200, (href, answer.status_code, answer.text[:300])
    assert answer.headers["Cache-Control"] == "private, no-store"
    feed = parse(answer)
    assert feed.feed.title == "Cuisines solidaires · annonces"
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.link.endswith(f"/groupes/{group.slug}/salons/{channel.slug}#m{pinned.id}")
    assert "<strong>venez nombreux</strong>" in entry.content[0].value

    # A forged or borrowed key opens nothing.
    token = href.split("jeton=", 1)[1]
    other = make_group("Autre groupe", organiser=claire, members=[awa])
    assert client.get(f"/groupes/{other.slug}/annonces.atom?jeton={token}").status_code == 404
    assert client.get(href[:-3] + "abc").status_code == 404


def test_group_feed_key_stops_when_the_member_leaves_or_changes_password(
    app, client, db, auth, make_member, make_organiser, make_group, post_message
):
    from tremplin.groups.models import GroupMembership
    from tremplin.platform import accounts

    claire = make_organiser("Claire Dubois")
    awa = make_member("Awa Diallo")
    bruno = make_member("Bruno Petit")
    group = make_group("Cercle", organiser=claire, visibility="private", members=[awa, bruno])
    pin(app, claire, post_message(claire, channel_of(group), "Réunion privée jeudi"))

    auth.login_as(awa)
    awa_feed = alternate(client.get(f"/groupes/{group.slug}").text)
    client.post("/deconnexion")
    auth.login_as(bruno)
    bruno_feed = alternate(client.get(f"/groupes/{group.slug}").text)
    client.post("/deconnexion")
    assert awa_feed != bruno_feed
    assert [e.title for e in parse(client.get(awa_feed)).entries] == [
        "#Accueil · Réunion privée jeudi"
    ]

    # Awa leaves the private group: her key opens nothing any more.
    _db.session.execute(
        GroupMembership.__table__.delete().where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == awa.id
        )
    )
    _db.session.commit()
    assert client.get(awa_feed).status_code == 404

    # Bruno changes his password: every key he had is revoked.
    assert client.get(bruno_feed).status_code == 200
    with app.test_request_context():
        accounts.set_password(_db.session.merge(bruno), "un tout nouveau mot de passe")
        _db.session.commit()
    assert client.get(bruno_feed).status_code == 404


def test_meetups_index_links_its_feed(client, db):
    assert alternate(client.get("/rencontres").text).endswith("/rencontres/flux.atom")


def test_feed_titles_follow_the_readers_language(client, db, make_campaign):
    campaign = make_campaign(title="Une épicerie solidaire")
    answer = client.get(
        f"/collectes/{campaign.id}/actualites.atom", headers={"Accept-Language": "en"}
    )
    assert parse(answer).feed.title == "Une épicerie solidaire · news"
