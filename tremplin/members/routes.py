"""Views about people: profiles, the directory, following, the feed, and the member's data
(download, deletion). Project views live in project_routes.py.

Each view reads like the request lifecycle: load (404), check the policy (403), call a
service, render or redirect. The request commits once, after the view.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from tremplin.members import bp, policies, profiles
from tremplin.members import feed as feeds
from tremplin.members.forms import (
    DeleteAccountForm,
    DirectoryFilterForm,
    InviteForm,
    ProfileForm,
)
from tremplin.members.models import PROFILE_FIELDS
from tremplin.members.needs import contact_between
from tremplin.members.people import visible_profile
from tremplin.members.privacy import delete_account
from tremplin.members.projects import owned_projects, projects_of
from tremplin.platform import accounts
from tremplin.platform.errors import form_errors
from tremplin.platform.extensions import login_manager
from tremplin.platform.forms import EmptyForm
from tremplin.platform.types import utcnow


def page_arg() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


# --- profiles ---------------------------------------------------------------------------


@bp.route("/membres/<int:user_id>")
def profile(user_id: int):
    user = profiles.load_member(user_id)
    if user is None or not policies.can_view_profile(current_user, user):
        abort(404)
    view = visible_profile(current_user, user)
    projects = [p for p in projects_of(user) if policies.can_view_project(current_user, p)]
    state = feeds.follow_state(current_user, user=user) if current_user.is_authenticated else None
    contact = contact_between(current_user, user)
    invite_form = _invite_form(user)
    return render_template(
        "members/profile.html",
        member=user,
        view=view,
        projects=projects,
        follow=state,
        contact=contact,
        invite_form=invite_form,
        form=EmptyForm(formdata=None),
    )


def _invite_form(user) -> InviteForm | None:
    """The projects the viewer owns that this member could be invited to."""
    if not current_user.is_authenticated or current_user.id == user.id:
        return None
    choices = [
        (p.id, p.title)
        for p in owned_projects(current_user)
        if not any(
            m.user_id == user.id and m.status in ("accepted", "invited") for m in p.memberships
        )
    ]
    if not choices:
        return None
    form = InviteForm(formdata=None, user_id=str(user.id))
    form.project_id.choices = choices
    return form


def _profile_form_data(user) -> dict:
    data = {"display_name": user.display_name}
    profile = user.profile
    if profile is None:
        return data
    data.update(
        bio=profile.bio,
        commune=profile.commune,
        departement=profile.departement or "",
        phone=profile.phone,
        skills=", ".join(profile.skills),
        themes=profile.themes,
        languages=profile.languages,
        roles=profile.roles,
        links=list(profile.links or []),
    )
    for name in PROFILE_FIELDS:
        data[f"{name}_visibility"] = profile.visibility(name)
    return data


@bp.route("/profil/modifier", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = profiles.load_member(current_user.id)
    if not policies.can_edit_profile(current_user, user):
        abort(403)
    form = ProfileForm() if request.method == "POST" else ProfileForm(data=_profile_form_data(user))
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            profiles.update_profile(
                current_user,
                profiles.ProfileFields(
                    display_name=form.display_name.data,
                    bio=form.bio.data,
                    commune=form.commune.data,
                    departement=form.departement.data,
                    phone=form.phone.data,
                    skills=profiles.split_tags(form.skills.data),
                    themes=form.themes.data,
                    languages=form.languages.data,
                    roles=form.roles.data,
                    links=[entry.data for entry in form.links.entries],
                    visibility={
                        name: getattr(form, f"{name}_visibility").data for name in PROFILE_FIELDS
                    },
                ),
                avatar=form.avatar.data or None,
                remove_avatar=form.remove_avatar.data,
            )
        if outcome.ok:
            flash(_("Votre profil est à jour."), "success")
            return redirect(url_for("members.profile", user_id=current_user.id))
    has_avatar = bool(user.profile and user.profile.avatar_file)
    return render_template(
        "members/edit_profile.html",
        form=form,
        has_avatar=has_avatar,
        suggestions=profiles.skill_suggestions(),
        fields=PROFILE_FIELDS,
    )


@bp.route("/membres")
def directory():
    if not policies.can_view_directory(current_user):
        return login_manager.unauthorized()
    form = DirectoryFilterForm(formdata=request.args)
    form.validate()
    filters = profiles.DirectoryFilters(
        **{
            name: (getattr(form, name).data or "").strip() if not getattr(form, name).errors else ""
            for name in ("q", "role", "theme", "skill", "departement", "language")
        }
    )
    page = profiles.directory(current_user, filters, page_arg())
    views = [visible_profile(current_user, user) for user in page.items]
    return render_template(
        "members/directory.html",
        form=form,
        page=page,
        views=views,
        filters=filters,
        suggestions=profiles.skill_suggestions(),
    )


# --- following and the feed -----------------------------------------------------------------


@bp.route("/membres/<int:user_id>/suivre", methods=["POST"])
@login_required
def follow_member(user_id: int):
    user = profiles.load_member(user_id)
    if user is None or not policies.can_view_profile(current_user, user):
        abort(404)
    if not policies.can_follow_member(current_user, user):
        abort(403)
    if EmptyForm().validate_on_submit():
        feeds.follow_user(current_user, user)
        flash(_("Vous suivez désormais %(name)s.", name=user.public_name), "success")
    return redirect(url_for("members.profile", user_id=user.id))


@bp.route("/membres/<int:user_id>/ne-plus-suivre", methods=["POST"])
@login_required
def unfollow_member(user_id: int):
    user = profiles.load_member(user_id)
    if user is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        feeds.unfollow(current_user, user=user)
        flash(_("Vous ne suivez plus %(name)s.", name=user.public_name), "info")
    return redirect(url_for("members.profile", user_id=user.id))


@bp.route("/fil")
@login_required
def feed():
    page = feeds.feed(current_user, page_arg())
    return render_template(
        "members/feed.html", page=page, following=feeds.followed_projects(current_user)
    )


# --- my data ----------------------------------------------------------------------------------


@bp.route("/compte/mes-donnees")
@login_required
def download_data():
    data = accounts.export_account_data(current_user)
    data = {"generated_at": utcnow().isoformat(), "site": "Tremplin", **data}
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="tremplin-mes-donnees.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/compte/supprimer", methods=["GET", "POST"])
@login_required
def delete_my_account():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        with form_errors(form) as outcome:
            delete_account(current_user._get_current_object(), form.password.data)
        if outcome.ok:
            logout_user()
            flash(
                _(
                    "Votre compte est supprimé. Vos données personnelles ont été effacées ; "
                    "merci d’avoir fait partie du réseau."
                ),
                "info",
            )
            return redirect(url_for("platform.home"))
    return render_template("members/delete_account.html", form=form)
