"""The README's production and scale-out commands, run verbatim: each `sh` block is read
from the README, its `export` lines take the test's own database and Redis, its listening
addresses become free local ports, and every other line runs as written (servers in the
background). Then a member registers and the confirmation e-mail arrives within 5 s.

The scale-out block needs PostgreSQL and Redis (skipped without them, failed with CI=true).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.kit.app import CI, PG_URL, SECRET
from tests.kit.live import wait_for
from tests.kit.processes import (
    ROOT,
    Process,
    children,
    csrf_token,
    free_port,
    server_env,
    wait_http,
)
from tremplin.platform.jobs_process import STARTED_MESSAGE

pytestmark = pytest.mark.scale

GOOD_PASSWORD = "la marmite bout sous le tilleul"
ADDRESS = re.compile(r"\b(?:0\.0\.0\.0|127\.0\.0\.1):(\d+)\b")


def readme_block(heading: str) -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"## {heading}", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def run_block(lines, env, tmp_path, exports: dict):
    """Run the block: exports from `exports`, servers in the background, the rest to the end."""
    servers, urls = [], []
    ports: dict[str, int] = {}
    for n, line in enumerate(lines):
        if line.startswith("export "):
            name = line.split()[1].split("=", 1)[0]
            assert name in exports, f"the test has no value for {name}"
            env[name] = exports[name]
            continue
        words = shlex.split(ADDRESS.sub(lambda m: _local(m, ports), line))
        if "gunicorn" in words[0] or words[-2:] == ["jobs", "run"]:
            servers.append(Process(words, dict(env), tmp_path / f"process{n}.log"))
            bound = ADDRESS.search(" ".join(words))
            if bound:
                urls.append(f"http://127.0.0.1:{bound.group(1)}")
        else:
            done = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, timeout=300)
            assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    return servers, urls


def _local(match, ports: dict) -> str:
    original = match.group(0)
    ports.setdefault(original, free_port())
    return f"127.0.0.1:{ports[original]}"


def register_and_wait_for_mail(url: str, outbox: Path, email: str) -> float:
    browser = requests.Session()
    form = browser.get(f"{url}/inscription").text
    answer = browser.post(
        f"{url}/inscription",
        data={
            "csrf_token": csrf_token(form),
            "display_name": "Nadia Ferhat",
            "email": email,
            "password": GOOD_PASSWORD,
            "accept_charter": "y",
            "terms": terms_signature(form),
        },
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[:2000]
    started = time.monotonic()

    def arrived():
        return outbox.exists() and any(email in p.read_text() for p in outbox.glob("*.eml"))

    assert wait_for(arrived, timeout=5.0)
    return time.monotonic() - started


def test_the_production_commands_run_verbatim(tmp_path):
    instance = tmp_path / "instance"
    config = {
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env = server_env(config, instance)
    servers, urls = run_block(readme_block("Production server"), env, tmp_path, {})
    try:
        assert len(servers) == 1 and len(urls) == 1
        wait_http(f"{urls[0]}/healthz", servers[0])
        assert register_and_wait_for_mail(urls[0], instance / "outbox", "nadia@exemple.fr") <= 5
        # delivered by the runner gunicorn started beside its worker
        assert any(c.endswith("jobs run") for c in children(servers[0].proc.pid).values())
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def scale_services():
    import redis

    from tests.scale.test_two_processes import REDIS_URL, unavailable

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis does not answer at {REDIS_URL}: {exc}")
    admin_url = "postgresql+psycopg://" + PG_URL.split("://", 1)[1]
    database = admin_url.rsplit("/", 1)[1] + "_readme"
    try:
        admin = create_engine(
            admin_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    except Exception as exc:  # noqa: BLE001
        if CI:
            raise
        pytest.skip(f"PostgreSQL does not answer at {PG_URL}: {exc}")
    yield admin_url.rsplit("/", 1)[0] + f"/{database}", REDIS_URL
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def test_the_scale_out_commands_run_verbatim(scale_services, tmp_path):
    database_url, redis_url = scale_services
    instance = tmp_path / "instance"  # one folder: the runner writes the outbox here
    env = server_env({"SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": database_url}, instance)
    servers, urls = run_block(
        readme_block("Running on PostgreSQL and Redis (scale-out)"),
        env,
        tmp_path,
        {"DATABASE_URL": database_url, "REDIS_URL": redis_url},
    )
    try:
        assert len(servers) == 3 and len(urls) == 2  # two web processes and the runner
        for url, server in zip(urls, servers, strict=False):
            wait_http(f"{url}/healthz", server)
        # Mail queued by one web process, delivered by the separate runner.
        assert register_and_wait_for_mail(urls[0], instance / "outbox", "nadia@exemple.fr") <= 5
        assert register_and_wait_for_mail(urls[1], instance / "outbox", "awa@exemple.fr") <= 5
        for server in servers[:2]:  # web processes run no consumer in scale-out
            assert STARTED_MESSAGE not in server.output()
            assert not any(c.endswith("jobs run") for c in children(server.proc.pid).values())
    finally:
        for server in servers:
            server.stop()


def terms_signature(form: str) -> str:
    """The signature of the legal texts the registration form shows (none when no text is
    published yet)."""
    found = re.search(r'name="terms" value="([^"]*)"', form)
    return found.group(1) if found else ""
