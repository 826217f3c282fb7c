"""Registries through which domain modules plug into the shared layout.

The platform never imports a domain module to draw its navigation or the member's home:
each module registers its navigation entries and dashboard panels here when imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any  # a lazy string
    order: int = 50
    members_only: bool = False
    organisers_only: bool = False
    active_prefix: str = ""  # the URL prefix under which the entry shows as current
    # badge(user) -> int shown next to the label for members (e.g. unread messages); the
    # element carries data-nav-badge="<endpoint>" so pages can update it live.
    badge: Callable[[Any], int] | None = None


@dataclass(frozen=True)
class DashboardPanel:
    """A block on the member's home: `loader(user)` returns the template's context."""

    template: str
    loader: Callable[[Any], dict | None]
    order: int = 50
    wide: bool = False


@dataclass(frozen=True)
class ProjectPanel:
    """A block at the top of a project page's sidebar (its campaign, "offer support"…):
    `loader(project, viewer)` returns the template's context (`ctx`), or None to show
    nothing. `viewer` may be anonymous."""

    template: str
    loader: Callable[[Any, Any], dict | None]
    order: int = 50


@dataclass(frozen=True)
class AdminSection:
    """An entry of the organisers' administration menu (reports queue, meetups…).
    `count(user)` may return a number of pending items shown as a badge."""

    endpoint: str
    label: Any
    order: int = 50
    count: Callable[[Any], int] | None = None
    admins_only: bool = False


@dataclass(frozen=True)
class Indicator:
    """A figure of the impact dashboard, computed from what happened on the platform.

    `compute(filters)` returns the value over `filters.start`..`filters.end` (an
    `ImpactFilters`, see platform/impact.py) honouring its group/territory/theme filters;
    `monthly(filters)` (optional) returns {date(first day of month): value} for charts;
    `unconfirmed(filters)` (optional) the declared-but-not-yet-confirmed count shown apart.
    `records(filters)` (optional) returns the URL of the records behind the figure.
    """

    key: str
    label: Any
    definition: Any
    compute: Callable[[Any], int]
    section: str = "network"
    unit: str = "count"  # "count", "cents" or "hours"
    order: int = 50
    monthly: Callable[[Any], dict] | None = None
    unconfirmed: Callable[[Any], int] | None = None
    records: Callable[[Any], str | None] | None = None
    filters: tuple[str, ...] = ("group", "territory", "theme")  # which filters it honours


@dataclass
class Registry:
    nav_items: list[NavItem] = field(default_factory=list)
    dashboard_panels: list[DashboardPanel] = field(default_factory=list)
    # blocks on the visitors' home ("what is coming"): loader(None) -> context or None
    visitor_panels: list[DashboardPanel] = field(default_factory=list)
    # kind -> lazy label, for the per-kind e-mail consent settings
    email_kinds: dict[str, Any] = field(default_factory=dict)
    # kind -> the e-mail template `notify` renders for it when the caller names none
    email_templates: dict[str, str] = field(default_factory=dict)
    admin_sections: list[AdminSection] = field(default_factory=list)
    project_panels: list[ProjectPanel] = field(default_factory=list)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    # () -> [(group id, name)] for the dashboard's group filter (set by the groups module)
    impact_group_choices: Callable[[], list] | None = None
    # called with the user when an account is deleted (erase personal data module by module)
    on_account_deleted: list[Callable[[Any], None]] = field(default_factory=list)
    # called with the user, returns a dict merged into "download my data"
    data_exporters: list[Callable[[Any], dict]] = field(default_factory=list)
    # () -> {"links": [(title, url)], "signature": str}: the texts the registration form
    # asks to accept, and a signature of their versions posted back with the form (site)
    registration_terms: Callable[[], dict] | None = None
    # (user or None, signature) after the registration form is accepted: record what was
    # accepted; may raise a DomainError (the whole registration is then rolled back).
    # user is None when the address already had an account (the answer must not differ).
    on_registered: list[Callable[[Any, str], None]] = field(default_factory=list)
    # (order, loader): `loader(ctx)` adds a module's demo objects; returns {label: count}
    demo_loaders: list[tuple[int, Callable[[Any], dict]]] = field(default_factory=list)
    # sections added to the account page: loader(user) -> context or None
    account_sections: list[DashboardPanel] = field(default_factory=list)


registry = Registry()


def register_nav_item(item: NavItem) -> None:
    if item not in registry.nav_items:
        registry.nav_items.append(item)
        registry.nav_items.sort(key=lambda i: i.order)


def register_dashboard_panel(panel: DashboardPanel) -> None:
    if panel not in registry.dashboard_panels:
        registry.dashboard_panels.append(panel)
        registry.dashboard_panels.sort(key=lambda p: p.order)


def register_indicator(indicator: Indicator) -> None:
    registry.indicators[indicator.key] = indicator


def register_admin_section(section: AdminSection) -> None:
    if section not in registry.admin_sections:
        registry.admin_sections.append(section)
        registry.admin_sections.sort(key=lambda s: s.order)


def register_project_panel(panel: ProjectPanel) -> None:
    if panel not in registry.project_panels:
        registry.project_panels.append(panel)
        registry.project_panels.sort(key=lambda p: p.order)


def register_visitor_panel(panel: DashboardPanel) -> None:
    if panel not in registry.visitor_panels:
        registry.visitor_panels.append(panel)
        registry.visitor_panels.sort(key=lambda p: p.order)


def register_account_section(section: DashboardPanel) -> None:
    """A block on the member's account page (e.g. the API's personal access tokens)."""
    if section not in registry.account_sections:
        registry.account_sections.append(section)
        registry.account_sections.sort(key=lambda p: p.order)


def register_email_kind(kind: str, label: Any, *, template: str | None = None) -> None:
    """A kind of notice members may receive by e-mail; `template` is the e-mail `notify`
    renders for it (default `email/notification.txt`)."""
    registry.email_kinds[kind] = label
    if template is not None:
        registry.email_templates[kind] = template


def on_account_deleted(func: Callable[[Any], None]) -> Callable[[Any], None]:
    if func not in registry.on_account_deleted:
        registry.on_account_deleted.append(func)
    return func


def data_exporter(func: Callable[[Any], dict]) -> Callable[[Any], dict]:
    if func not in registry.data_exporters:
        registry.data_exporters.append(func)
    return func


def demo_loader(order: int) -> Callable[[Callable[[Any], dict]], Callable[[Any], dict]]:
    """Register a module's demo data; loaders run by increasing `order` (platform is 0)."""

    def decorator(func: Callable[[Any], dict]) -> Callable[[Any], dict]:
        if all(existing is not func for _, existing in registry.demo_loaders):
            registry.demo_loaders.append((order, func))
            registry.demo_loaders.sort(key=lambda pair: pair[0])
        return func

    return decorator
