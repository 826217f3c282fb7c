"""Caches that make a fresh application cheap in the test process.

The suite builds a fresh application for every test (about 2,300 on both databases), and
most of that time went to work that is identical from one app to the next:

- Werkzeug compiles a URL builder for each of the ~320 rules (an `ast` tree turned into a
  function with `compile`). The function depends only on the rule's text, its parsed
  trace and its defaults (it reads the converters from the rule it is bound to at call
  time), so one compiled function per distinct rule serves every app.
- Binding a rule to an app's URL map parses it again (its parts, regular expressions and
  converters): the parts of a rule with the same text, defaults and map settings are kept
  once and given to each new rule (converters only turn values into URLs and back).
- flask-smorest deep-copies each API blueprint's documentation when it registers it, to
  allow registering a blueprint in several apps. The copy includes the marshmallow schema
  instances, which documentation generation only reads: the copy here shares them.

- Jinja compiles each template to Python source and then to bytecode, once per
  environment, and each app has its own environment: a test rendering a page compiled
  `base.html` and its macros again. A bytecode cache shared by every app's environment
  (Jinja's own `BytecodeCache` interface, keyed on the template's name and a checksum of
  its source) compiles each template once per test process.

- SQLAlchemy caches each statement's compiled SQL in its engine, and Flask-SQLAlchemy
  makes a new engine for each app: every test compiled the same queries again. Apps built
  with the same engine options (the same URL: `tests/kit/app.py` gives each test process
  one SQLite path, refilled from the template for each test, and one PostgreSQL database)
  share one engine; the `app` fixture disposes its connections after each test.

All are test-only: the server builds one application. Nothing here changes what an app
does; `tests/platform/test_architecture.py` and the API tests exercise the result.
"""

from __future__ import annotations

import copy

import flask
import flask_smorest.blueprint
from flask_sqlalchemy import SQLAlchemy
from jinja2 import BytecodeCache
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


class _SharedBytecodeCache(BytecodeCache):
    """Jinja's bytecode cache in this process's memory (its own are on disk or memcached)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_compile_rule = rules.Rule.compile
_rule_parts: dict[tuple, tuple] = {}


def _cached_compile_rule(self) -> None:
    key = (
        self.rule,
        self.subdomain,
        self.host,
        self.merge_slashes,
        self.map.host_matching,
        tuple(sorted((name, id(kind)) for name, kind in self.map.converters.items())),
        repr(sorted((self.defaults or {}).items())),
    )
    parts = _rule_parts.get(key)
    if parts is None:
        _compile_rule(self)
        _rule_parts[key] = (
            list(self._parts),
            list(self._trace),
            dict(self._converters),
            set(self.arguments),
        )
        return
    self._parts, self._trace = list(parts[0]), list(parts[1])
    self._converters, self.arguments = dict(parts[2]), set(parts[3])
    self._build = self._compile_builder(False).__get__(self, None)
    self._build_unknown = self._compile_builder(True).__get__(self, None)


_bytecode = _SharedBytecodeCache()
_create_jinja_environment = flask.Flask.create_jinja_environment


def _jinja_environment_sharing_bytecode(self):
    env = _create_jinja_environment(self)
    env.bytecode_cache = _bytecode
    return env


_engines: dict[str, object] = {}
_make_engine = SQLAlchemy._make_engine


def _engine_shared_by_apps_with_the_same_options(self, bind_key, options, app):
    key = repr(sorted((name, repr(value)) for name, value in options.items()))
    engine = _engines.get(key)
    if engine is None:
        engine = _engines[key] = _make_engine(self, bind_key, options, app)
    return engine


rules.Rule._compile_builder = _cached_compile_builder
rules.Rule.compile = _cached_compile_rule
SQLAlchemy._make_engine = _engine_shared_by_apps_with_the_same_options
flask.Flask.create_jinja_environment = _jinja_environment_sharing_bytecode
flask_smorest.blueprint.deepcopy = _deepcopy_sharing_schemas
