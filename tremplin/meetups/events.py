"""Socket.IO for the door: organisers checking people in on several phones see each
other's arrivals live. Same policy as the check-in page; the HTTP routes store, then the
event leaves after the commit (a phone that missed it reloads the list)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room

from tremplin.meetups import policies
from tremplin.meetups.models import Meetup
from tremplin.platform.extensions import db, socketio


def door_room(meetup_id: int) -> str:
    return f"meetup-door:{meetup_id}"


@socketio.on("meetups:door")
def join_door(data=None):
    if not current_user.is_authenticated:
        return {"ok": False, "error": _("Votre session a expiré : rechargez la page.")}
    try:
        meetup_id = int((data or {}).get("meetup"))
    except (TypeError, ValueError, AttributeError):
        return {"ok": False, "error": _("Requête incorrecte.")}
    meetup = db.session.get(Meetup, meetup_id)
    allowed = meetup is not None and policies.can_manage_meetup(current_user, meetup)
    db.session.rollback()  # nothing to store; end the read transaction
    if not allowed:
        return {"ok": False, "error": _("Vous n'avez pas le droit de faire cela.")}
    join_room(door_room(meetup_id))
    return {"ok": True}
