"""Home, language switch and notifications (health checks: health.py)."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from tremplin.platform import (  # noqa: F401  (their routes attach to bp)
    account_routes,
    admin_routes,
    bp,
    health,
    impact_routes,
    notifications,
    ops_routes,
)
from tremplin.platform.account_routes import safe_next
from tremplin.platform.admin import ROLE_LABELS
from tremplin.platform.extensions import db
from tremplin.platform.forms import EmptyForm, LanguageForm
from tremplin.platform.hooks import registry
from tremplin.platform.models import Notification


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return render_template(
            "platform/home_visitor.html", visitor_panels=_load_panels(registry.visitor_panels, None)
        )
    return render_template(
        "platform/home_member.html", panels=_load_panels(registry.dashboard_panels, current_user)
    )


def _load_panels(panels, user):
    loaded = []
    for panel in panels:
        context = panel.loader(user)
        if context is not None:
            loaded.append((panel, context))
    return loaded


@bp.route("/langue", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["lang"] = form.lang.data
        if current_user.is_authenticated:
            from tremplin.platform import accounts

            accounts.set_locale(current_user, form.lang.data)
    return redirect(safe_next(form.next.data))


@bp.route("/notifications")
@login_required
def notification_list():
    page = db.paginate(
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        per_page=30,
        max_per_page=100,
    )
    return render_template("platform/notifications.html", page=page, form=EmptyForm())


@bp.route("/notifications/lues", methods=["POST"])
@login_required
def mark_notifications_read():
    if EmptyForm().validate_on_submit():
        notifications.mark_read(current_user)
        flash(_("Toutes les notifications sont marquées comme lues."), "success")
    return redirect(url_for("platform.notification_list"))


@bp.route("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id: int):
    note = db.first_or_404(
        select(Notification).where(
            Notification.id == notification_id, Notification.user_id == current_user.id
        )
    )
    notifications.mark_read(current_user, [note.id])
    return redirect(safe_next(note.url, "platform.notification_list"))


@bp.route("/api/notifications/count")
@login_required
def notification_count():
    return jsonify(unread=notifications.unread_count(current_user))


@bp.app_context_processor
def layout_context():
    unread = 0
    if current_user.is_authenticated:
        unread = notifications.unread_count(current_user)
    return {
        "current_locale": str(get_locale() or "fr"),
        "nav_items": registry.nav_items,
        "unread_notifications": unread,
        # formdata=None: these forms never read the request (which may be the oversized
        # or malformed one an error page is answering).
        "language_form": LanguageForm(
            formdata=None, lang=session.get("lang", "fr"), next=request.full_path.rstrip("?")
        ),
        "logout_form": EmptyForm(formdata=None),
        "role_labels": ROLE_LABELS,
    }
