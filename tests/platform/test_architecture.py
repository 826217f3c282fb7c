"""The import rules of docs/architecture.md, checked on the source with `ast`.

Module-level and function-level imports both count: an import hidden inside a function is
still a dependency (and the usual way a cycle hides).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tremplin"

# Which domain module may import which (an arrow of the graph in docs/architecture.md).
# `platform` is the shared kernel: every module may use it. `api` and `site` sit on top.
MAY_IMPORT: dict[str, set[str]] = {
    "platform": set(),
    "members": {"platform", "search"},
    "groups": {"platform", "members", "search"},
    "mentoring": {"platform", "members", "groups", "search"},
    # funding/clubs discuss applications in a private groups conversation
    "funding": {"platform", "members", "groups", "search"},
    "meetups": {"platform", "members", "groups", "funding", "search"},
    "search": {"platform"},
    "api": {"platform", "members", "groups", "mentoring", "funding", "meetups", "search"},
    "site": {"platform", "members", "groups", "mentoring", "funding", "meetups", "search"},
}


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


MODULES = module_names()


def imports_of(name: str, path: Path) -> set[str]:
    """Every `tremplin…` module `name` imports, wherever the import statement stands."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            # `from tremplin.x import y` where y is a submodule imports the submodule
            found.update(
                f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES
            )
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def domain(name: str) -> str:
    """The domain module a dotted name belongs to (`funding.clubs` is part of funding)."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else ""


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return components


def test_no_import_cycle_inside_a_package():
    # The blueprint pattern is the one allowed loop: a package's __init__ imports its
    # routes, which import `bp` back from it. So an import of one's own enclosing
    # package is not followed; every other edge is.
    graph = {
        name: {m for m in deps if not name.startswith(m + ".")} for name, deps in GRAPH.items()
    }
    assert strongly_connected(graph) == []


def test_imports_follow_the_dependency_direction():
    wrong = []
    for name, deps in GRAPH.items():
        here = domain(name)
        if here not in MAY_IMPORT:
            continue
        for target in deps:
            there = domain(target)
            if there == here or there == "":
                continue
            if here == "platform" and name == "tremplin.platform":
                continue  # the factory registers every module
            if there not in MAY_IMPORT[here]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_modules_use_each_other_only_through_their_public_face():
    """Between domain modules: the package's `__init__`, its models, nothing else."""
    reaching = []
    for name, deps in GRAPH.items():
        here = domain(name)
        for target in deps:
            there = domain(target)
            if there in ("", "platform", here):
                continue
            public = target.count(".") == 1 or target.endswith((".models", ".signals"))
            public = public or target == "tremplin.funding.clubs"
            if not public:
                reaching.append(f"{name} -> {target}")
    assert reaching == []


def test_every_domain_module_is_known_to_these_rules():
    domains = {domain(name) for name in MODULES} - {""}
    assert domains <= set(MAY_IMPORT), sorted(domains - set(MAY_IMPORT))


def _top_level_calls(path: Path) -> list[tuple[int, str]]:
    calls = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            func = node.value.func
            calls.append((node.lineno, getattr(func, "id", None) or getattr(func, "attr", "")))
    return calls


def test_hooks_are_registered_in_init_module_never_at_import():
    """One phase: a module plugs into the layout from its `init_module(app)` (directly or by
    importing the submodules whose decorators declare a hook); importing it registers
    nothing. The job runner's own declarations (`@job`, `register_backlog`…) are not hooks."""
    at_import = [
        f"{name}:{line} {call}()"
        for name, path in MODULES.items()
        if domain(name) not in ("", "platform")
        for line, call in _top_level_calls(path)
        if (call.startswith("register") and call != "register_backlog") or call == "_register_hooks"
    ]
    assert at_import == []


def test_no_construction_scaffolding_is_left():
    """Every module is part of the application: no guard for a hook or a module that might
    be missing."""
    scaffolding = []
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        for needle in ("hasattr(hooks", "except ImportError", "current_app.blueprints"):
            if needle in source:
                scaffolding.append(f"{name}: {needle}")
    assert scaffolding == []


# A function over six parameters takes a small frozen dataclass instead
# (`funding.pledges.PledgeChoices`, `members.profiles.ProfileFields`,
# `funding.campaigns.CampaignFields`…). Only two callbacks keep theirs:
# `platform.jobs.periodic` mirrors crontab's fields and `search.analysis.…__call__`
# Whoosh's tokenizer protocol.
OVER_SIX_PARAMETERS = {
    "tremplin.platform.jobs.periodic",  # crontab fields
    "tremplin.search.analysis.__call__",  # Whoosh's Tokenizer.__call__ signature
}


def test_no_function_takes_more_than_six_parameters():
    """Counting every parameter but self/cls, keyword-only ones included."""
    over = set()
    for name, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                params = [
                    a.arg
                    for a in args.posonlyargs + args.args + args.kwonlyargs
                    if a.arg not in ("self", "cls")
                ]
                if len(params) > 6:
                    over.add(f"{name}.{node.name}")
    assert over - OVER_SIX_PARAMETERS == set(), "take a small dataclass instead"
    assert OVER_SIX_PARAMETERS - over == set(), "converted: remove it from the list"
