"""The meetups' section of the organisers' administration: upcoming and past meetups at a
glance, with registrations, waiting lists and check-ins (read only; each meetup's own pages
do the editing). Also the page the impact dashboard links to behind its meetup figures."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tremplin.meetups import bp
from tremplin.meetups.models import CANCELLED, DRAFT, PUBLISHED, Meetup
from tremplin.meetups.registrations import counts_for
from tremplin.platform.auth import organiser_required
from tremplin.platform.extensions import db
from tremplin.platform.hooks import AdminSection, register_admin_section
from tremplin.platform.types import utcnow

PER_PAGE = 30
WHEN = ("a-venir", "passees")


def overview_stmt(when: str, filters=None):
    now = utcnow()
    stmt = select(Meetup).options(selectinload(Meetup.group))
    if when == "a-venir":
        stmt = stmt.where(Meetup.ends_at >= now, Meetup.state.in_((PUBLISHED, DRAFT)))
        stmt = stmt.order_by(Meetup.starts_at, Meetup.id)
    else:
        stmt = stmt.where(Meetup.starts_at < now, Meetup.state.in_((PUBLISHED, CANCELLED)))
        stmt = stmt.order_by(Meetup.starts_at.desc(), Meetup.id.desc())
    if filters is not None:
        from tremplin.meetups.checkin import meetup_filters

        stmt = meetup_filters(
            stmt,
            filters.start_at,
            filters.end_at,
            filters.group_id,
            filters.territory,
            filters.theme,
        )
    return stmt


@bp.route("/administration/rencontres")
@organiser_required
def admin_overview():
    from tremplin.platform import impact

    when = request.args.get("quand", "a-venir")
    if when not in WHEN:
        abort(404)
    filters = impact.filters_or_400(request.args) if request.args.get("periode") else None
    page = db.paginate(overview_stmt(when, filters), per_page=PER_PAGE, error_out=False)
    counts = counts_for([m.id for m in page.items])
    return render_template(
        "meetups/admin_overview.html", page=page, counts=counts, when=when, filters=filters
    )


def register() -> None:
    register_admin_section(AdminSection("meetups.admin_overview", _l("Rencontres"), order=40))
