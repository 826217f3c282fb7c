"""The results page (`/recherche`) and the JSON answers of the navigation box."""

from __future__ import annotations

from flask import current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from tremplin.platform import limits
from tremplin.platform.extensions import limiter
from tremplin.search import bp
from tremplin.search.forms import SearchForm
from tremplin.search.query import SearchOptions, search

# Facet name -> query-string parameter (French URLs).
PARAMS = {
    "type": "type",
    "theme": "theme",
    "territory": "territoire",
    "stage": "stade",
    "period": "periode",
}


def _search_limit() -> str:
    return current_app.config.get("RATELIMIT_SEARCH", "120 per minute")


def results_url(**changes) -> str:
    """This page's URL with some parameters changed (None removes one), back to page 1."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    for name, value in changes.items():
        if value is None or value == []:
            args.pop(name, None)
        else:
            args[name] = value
    return url_for("search.results", **args)


@bp.route("/recherche")
def results():
    form = SearchForm(request.args)
    found = search(
        current_user,
        form.q.data,
        SearchOptions(
            types=form.type.data or (),
            theme=form.theme.data or None,
            territory=form.territoire.data or None,
            stage=form.stade.data or None,
            period=form.periode.data or None,
            sort=form.tri.data or "pertinence",
            correct=request.args.get("exact") != "1",
        ),
        page=form.page.data or 1,
    )
    facet_links = {}
    for facet in found.facets:
        param = PARAMS[facet.name]
        for option in facet.options:
            if facet.name == "type":
                chosen = list(found.filters["types"])
                value = (
                    [t for t in chosen if t != option.value]
                    if option.selected
                    else [*chosen, option.value]
                )
            else:
                value = None if option.selected else option.value
            facet_links[(facet.name, option.value)] = results_url(**{param: value})
    active = any(found.filters[k] for k in ("types", "theme", "territory", "stage", "period"))
    return render_template(
        "search/results.html",
        form=form,
        results=found,
        facet_links=facet_links,
        has_filters=active,
        clear_url=results_url(**{p: None for p in PARAMS.values()}),
        sort_urls={s: results_url(tri=s) for s in ("pertinence", "date")},
        suggestion_url=(
            url_for("search.results", q=found.suggestion) if found.suggestion else None
        ),
        original_url=(
            url_for("search.results", q=found.corrected_from, exact=1)
            if found.corrected_from
            else None
        ),
    )


@bp.route("/recherche/suggestions")
@limiter.limit(_search_limit, key_func=limits.account_or_ip)
@limiter.limit(lambda: current_app.config["RATELIMIT_SEARCH_IP"], key_func=limits.client_ip)
def suggestions():
    """The instant dropdown: a few results while typing, each with its type and link."""
    text = request.args.get("q", "")
    found = search(current_user, text, instant=True, per_page=8)
    items = [
        {
            "type": item.type_name,
            "type_label": str(item.type_label),
            "title": item.title,
            "subtitle": item.subtitle,
            "url": item.url,
        }
        for item in found.items
        if item.url
    ]
    return jsonify(
        query=found.query,
        results=items,
        total=found.total,
        too_short=found.too_short,
        corrected_from=found.corrected_from,
        more_url=url_for("search.results", q=found.query) if found.query else None,
    )
