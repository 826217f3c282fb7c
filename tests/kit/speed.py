"""Two caches that make `create_app` about four times cheaper in the test process.

The suite builds a fresh application for every test (about 2,300 on both databases), and
most of that time went to work that is identical from one app to the next:

- Werkzeug compiles a URL builder for each of the ~320 rules (an `ast` tree turned into a
  function with `compile`). The function depends only on the rule's text, its parsed
  trace and its defaults (it reads the converters from the rule it is bound to at call
  time), so one compiled function per distinct rule serves every app.
- flask-smorest deep-copies each API blueprint's documentation when it registers it, to
  allow registering a blueprint in several apps. The copy includes the marshmallow schema
  instances, which documentation generation only reads: the copy here shares them.

Both are test-only: the server builds one application. Nothing here changes what an app
does; `tests/platform/test_architecture.py` and the API tests exercise the result.
"""

from __future__ import annotations

import copy

import flask_smorest.blueprint
from marshmallow import Schema
from werkzeug.routing import rules

_compile_builder = rules.Rule._compile_builder
_builders: dict[tuple, object] = {}


def _cached_compile_builder(self, append_unknown: bool = True):
    key = (
        self.rule,
        self.subdomain,
        self.host,
        self.merge_slashes,
        tuple(self._trace),
        repr(sorted((self.defaults or {}).items())),
        append_unknown,
    )
    builder = _builders.get(key)
    if builder is None:
        builder = _builders[key] = _compile_builder(self, append_unknown)
    return builder


def _deepcopy_sharing_schemas(value):
    memo: dict[int, object] = {}

    def share(item) -> None:
        if isinstance(item, Schema):
            memo[id(item)] = item
        elif isinstance(item, dict):
            for inner in item.values():
                share(inner)
        elif isinstance(item, list | tuple):
            for inner in item:
                share(inner)

    share(value)
    return copy.deepcopy(value, memo)


rules.Rule._compile_builder = _cached_compile_builder
flask_smorest.blueprint.deepcopy = _deepcopy_sharing_schemas
