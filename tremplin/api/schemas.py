"""What the API returns and accepts (marshmallow): the OpenAPI document is generated from
these classes. Only fields the HTML pages show to the same viewer appear here."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields as f
from marshmallow import validate as v


def _nullable(field_cls, **kwargs):
    return field_cls(allow_none=True, required=True, **kwargs)


class _Out(ma.Schema):
    class Meta:
        ordered = True


class GroupRef(_Out):
    id = f.Integer(required=True)
    slug = f.String(required=True)
    name = f.String(required=True)


class MeetupSchema(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)
    description = f.String(required=True)
    starts_at = f.AwareDateTime(required=True)
    ends_at = f.AwareDateTime(required=True)
    state = f.String(required=True, metadata={"enum": ["published", "cancelled"]})
    venue_name = _nullable(f.String)
    address = _nullable(f.String)
    online_url = _nullable(f.String)
    capacity = _nullable(f.Integer)
    seats_taken = f.Integer(required=True)
    waiting = f.Integer(required=True)
    theme = _nullable(f.String)
    group = _nullable(f.Nested, nested=GroupRef)
    url = f.String(required=True)


class NeedSchema(_Out):
    id = f.Integer(required=True)
    project_id = f.Integer(required=True)
    kind = f.String(required=True)
    title = f.String(required=True)
    description = _nullable(f.String)
    amount_cents = _nullable(f.Integer)
    quantity = _nullable(f.Integer)
    quantity_unit = _nullable(f.String)
    status = f.String(required=True)
    url = f.String(required=True)


class ProjectSchema(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)
    pitch = f.String(required=True)
    theme = _nullable(f.String)
    stage = f.String(required=True)
    commune = _nullable(f.String)
    departement = _nullable(f.String)
    open_needs = f.List(f.Nested(NeedSchema), required=True)
    url = f.String(required=True)


class ProjectRef(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)


class CampaignSchema(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)
    summary = f.String(required=True)
    project = f.Nested(ProjectRef, required=True)
    status = f.String(required=True)
    rule = f.String(required=True)
    currency = f.String(required=True, metadata={"enum": ["EUR"]})
    goal_cents = f.Integer(required=True)
    pledged_cents = f.Integer(required=True)
    backers_count = f.Integer(required=True)
    percent = f.Integer(required=True)
    deadline_at = f.AwareDateTime(required=True)
    url = f.String(required=True)


class ChannelRef(_Out):
    id = f.Integer(required=True)
    name = f.String(required=True)
    topic = f.String(required=True)


class GroupSchema(_Out):
    id = f.Integer(required=True)
    slug = f.String(required=True)
    name = f.String(required=True)
    description = f.String(required=True)
    theme = f.String(required=True)
    visibility = f.String(required=True, metadata={"enum": ["public", "private"]})
    member_count = f.Integer(required=True)
    channels = f.List(
        f.Nested(ChannelRef),
        required=True,
        metadata={"description": "Les salons, pour qui peut lire le groupe (sinon vide)."},
    )
    url = f.String(required=True)


class OpportunitySchema(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)
    kind = f.String(required=True)
    organisation = _nullable(f.String)
    description = f.String(required=True)
    link = _nullable(f.String)
    deadline = _nullable(f.Date)
    departement = _nullable(f.String)
    themes = f.List(f.String(), required=True)
    url = f.String(required=True)


class FigureSchema(_Out):
    key = f.String(required=True)
    label = f.String(required=True)
    value = f.Integer(required=True)
    unit = f.String(required=True, metadata={"enum": ["count", "cents", "hours"]})


class ImpactSchema(_Out):
    year = f.Integer(required=True)
    figures = f.List(f.Nested(FigureSchema), required=True)


class MeetupRef(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)
    starts_at = f.AwareDateTime(required=True)


class RegistrationSchema(_Out):
    id = f.Integer(required=True)
    meetup = f.Nested(MeetupRef, required=True)
    status = f.String(required=True)
    guests = f.Integer(required=True)
    created_at = f.AwareDateTime(required=True)


class CampaignRef(_Out):
    id = f.Integer(required=True)
    title = f.String(required=True)


class PledgeSchema(_Out):
    id = f.Integer(required=True)
    campaign = f.Nested(CampaignRef, required=True)
    amount_cents = f.Integer(required=True)
    collected_cents = f.Integer(required=True)
    status = f.String(required=True)
    created_at = f.AwareDateTime(required=True)


class PairingSchema(_Out):
    id = f.Integer(required=True)
    role = f.String(required=True, metadata={"enum": ["mentor", "porteur"]})
    state = f.String(required=True)
    partner_name = f.String(required=True)
    started_on = f.Date(required=True)
    planned_end_on = f.Date(required=True)


class NotificationSchema(_Out):
    id = f.Integer(required=True)
    kind = f.String(required=True)
    text = f.String(required=True)
    url = _nullable(f.String)
    read_at = _nullable(f.AwareDateTime)
    created_at = f.AwareDateTime(required=True)


class OfferSchema(_Out):
    id = f.Integer(required=True)
    need_id = f.Integer(required=True)
    status = f.String(required=True)
    created_at = f.AwareDateTime(required=True)


class MessageSchema(_Out):
    id = f.Integer(required=True)
    channel_id = f.Integer(required=True)
    body = f.String(required=True)
    created_at = f.AwareDateTime(required=True)


class MarkedSchema(_Out):
    marked = f.Integer(required=True)


def page_of(item_schema, name: str):
    """A page schema: items and the cursor of the next page (null on the last one)."""
    return type(
        name,
        (_Out,),
        {
            "items": f.List(f.Nested(item_schema), required=True),
            "next_cursor": _nullable(f.String),
        },
    )


MeetupPage = page_of(MeetupSchema, "MeetupPage")
ProjectPage = page_of(ProjectSchema, "ProjectPage")
CampaignPage = page_of(CampaignSchema, "CampaignPage")
GroupPage = page_of(GroupSchema, "GroupPage")
OpportunityPage = page_of(OpportunitySchema, "OpportunityPage")
RegistrationPage = page_of(RegistrationSchema, "RegistrationPage")
PledgePage = page_of(PledgeSchema, "PledgePage")
PairingPage = page_of(PairingSchema, "PairingPage")
NotificationPage = page_of(NotificationSchema, "NotificationPage")


# --- input ---------------------------------------------------------------------------------


NO_NUL = r"^[^\u0000]*$"  # PostgreSQL text cannot hold NUL; refused as bad input (400)


def _text(min_length: int, max_length: int):
    return f.String(
        required=True,
        validate=[
            v.Length(min=min_length, max=max_length),
            v.Regexp(NO_NUL, error="Null characters are not allowed."),
        ],
        metadata={"pattern": NO_NUL},
    )


class _In(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class RsvpIn(_In):
    guests = f.Integer(load_default=0, validate=v.Range(min=0, max=10))


class OfferIn(_In):
    message = _text(10, 2000)


class MessageIn(_In):
    body = _text(1, 4000)


class MarkReadIn(_In):
    ids = f.List(
        f.Integer(validate=v.Range(min=1, max=2**31 - 1)),
        validate=v.Length(max=500),
        metadata={"description": "Les notifications à marquer lues (toutes si absent)."},
    )


class ProjectArgs(ma.Schema):
    open_needs = f.Boolean(
        load_default=False, metadata={"description": "Seulement les projets avec un besoin ouvert."}
    )


class ImpactArgs(ma.Schema):
    year = f.Integer(validate=v.Range(min=2000, max=2100))
