"""Search documents of members: members (only the fields a viewer may see), projects
and open needs, registered with search at start-up (`init_module`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tremplin.search import (
    ANYONE,
    MEMBERS,
    SOME_MEMBER,
    VISITOR,
    VISITORS,
    Cascade,
    Change,
    Document,
    DocumentType,
    Removal,
    changed,
    column,
    departement_label,
    join,
    key,
    plain,
    register_stage_labels,
    registry,
    safe_url,
    theme_label,
)


def register() -> None:
    from sqlalchemy.orm import joinedload, selectinload

    from tremplin import members
    from tremplin.members import policies as member_policies
    from tremplin.members.labels import NEED_KIND_LABELS, ROLE_LABELS, STAGE_LABELS
    from tremplin.members.models import OPEN, Need, Profile, ProfileTag, Project
    from tremplin.platform.models import User
    from tremplin.platform.templating import member_url
    from tremplin.platform.vocabulary import LANGUAGE_LABELS

    audiences = [("visitors", VISITOR, VISITORS), ("members", SOME_MEMBER, MEMBERS)]
    can_list = member_policies.can_view_directory
    register_stage_labels(STAGE_LABELS)

    def build_member(user) -> list[Document]:
        if user.is_deleted or not user.is_active:
            return []
        docs = []
        for variant, audience, token in audiences:
            # Members are found by those who may browse the directory (members only:
            # a visitor cannot enumerate the network through search either).
            if not (can_list(audience) and members.can_view_profile(audience, user)):
                continue
            view = members.visible_profile(audience, user)
            roles = [str(ROLE_LABELS.get(r, r)) for r in view.roles]
            docs.append(
                Document(
                    id=key("member", user.id),
                    type="member",
                    variant=variant,
                    acl=(token,),
                    title=view.display_name,
                    tags=join(
                        *view.skills,
                        *(theme_label(t) for t in view.themes),
                        *roles,
                        view.commune,
                        departement_label(view.departement),
                        *(LANGUAGE_LABELS.get(c, c) for c in view.languages),
                    ),
                    body=plain(view.bio),
                    themes=tuple(view.themes),
                    territory=view.departement,
                    date=user.created_at,
                    subtitle=join(*roles[:2], view.commune),
                )
            )
        return docs

    def can_view_member(viewer, user) -> bool:
        return can_list(viewer) and members.can_view_profile(viewer, user)

    def user_changes(user, state):
        # Not on every login (last_login_at): only what the documents show or hide.
        if state == "dirty" and not changed(user, "display_name", "deleted_at", "suspended_at"):
            return []
        return [key("member", column(user, "id"))]

    registry.register(
        DocumentType(
            name="member",
            label=_l("Membre"),
            plural=_l("Membres"),
            model=User,
            build=build_member,
            can_view=can_view_member,
            url=member_url,
            order=30,
            load_options=lambda: [selectinload(User.profile).selectinload(Profile.tags)],
            watches={
                User: user_changes,
                Profile: lambda p, state: [key("member", column(p, "user_id"))],
                ProfileTag: lambda t, state: [key("member", column(t, "user_id"))],
            },
        )
    )

    def build_project(project) -> list[Document]:
        if not members.can_view_project(SOME_MEMBER, project):
            return []
        visible_to_all = members.can_view_project(VISITOR, project)
        return [
            Document(
                id=key("project", project.id),
                type="project",
                acl=(ANYONE,) if visible_to_all else (MEMBERS,),
                title=project.title,
                tags=join(
                    theme_label(project.theme),
                    STAGE_LABELS.get(project.stage, ""),
                    project.commune,
                    departement_label(project.departement),
                ),
                body="\n".join(filter(None, [project.pitch, plain(project.description)])),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=project.updated_at or project.created_at,
                subtitle=join(project.commune),
            )
        ]

    def project_changes(project, state):
        project_id = column(project, "id")
        changes: list[Change] = [key("project", project_id)]
        if state == "deleted":
            changes.append(Removal(key("project", project_id)))
        elif state in ("dirty", "bulk"):
            # Needs show their project's theme, place, stage and visibility.
            changes.append(
                Cascade(
                    "need", lambda: Need.project_id == project_id, origin=key("project", project_id)
                )
            )
        return changes

    registry.register(
        DocumentType(
            name="project",
            label=_l("Projet"),
            plural=_l("Projets"),
            model=Project,
            build=build_project,
            can_view=members.can_view_project,
            url=lambda p: safe_url("members.project", project_id=p.id),
            order=10,
            watches={Project: project_changes},
        )
    )

    def build_need(need) -> list[Document]:
        project = need.project
        if need.status != OPEN or not members.can_view_need(SOME_MEMBER, need):
            return []
        return [
            Document(
                id=key("need", need.id),
                type="need",
                acl=(ANYONE,) if members.can_view_need(VISITOR, need) else (MEMBERS,),
                parents=(key("project", project.id),),
                title=need.title,
                tags=join(
                    NEED_KIND_LABELS.get(need.kind, need.kind), project.title, project.commune
                ),
                body=plain(need.description),
                themes=(project.theme,) if project.theme else (),
                territory=project.departement,
                stages=(project.stage,) if project.stage else (),
                date=need.created_at,
                subtitle=project.title,
            )
        ]

    registry.register(
        DocumentType(
            name="need",
            label=_l("Besoin"),
            plural=_l("Besoins"),
            model=Need,
            build=build_need,
            can_view=lambda user, need: need.status == OPEN and members.can_view_need(user, need),
            url=lambda n: safe_url("members.need", need_id=n.id),
            order=20,
            load_options=lambda: [joinedload(Need.project)],
        )
    )
