"""The deployment files read as Docker would (no Docker daemon in CI): the image runs as a
non-root user with a health check that is `python -m bot health` (run as a process in
tests/test_webhook_process.py); docker-compose.yml starts the bot after a healthy PostgreSQL,
points the bot at it, and backs it up nightly with scripts/pg-backup (tests/test_pg_backup.py
runs that script and scripts/pg-restore against a real server)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from bot.config import PROJECT_ROOT


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (keyword, arguments), continuation lines joined."""
    text = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_image_runs_as_a_user_with_a_health_check() -> None:
    steps = _instructions()
    users = [args for keyword, args in steps if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (keyword, _) in enumerate(steps) if keyword == "USER")
    cmd_at = max(i for i, (keyword, _) in enumerate(steps) if keyword == "CMD")
    assert last_user < cmd_at  # the bot starts as that user
    (check,) = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert '["python", "-m", "bot", "health"]' in check
    created = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert "useradd" in created and users[-1] in created
    assert f"chown {users[-1]}:{users[-1]} /app/data" in created  # the one folder it writes


def test_compose_starts_the_bot_after_a_healthy_postgresql_it_points_at() -> None:
    services = _compose()["services"]
    db, bot = services["db"], services["bot"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    url = make_url(bot["environment"]["DATABASE_URL"])
    assert url.get_backend_name() == "postgresql" and url.host == "db"
    assert url.username == db["environment"]["POSTGRES_USER"]
    assert url.database == db["environment"]["POSTGRES_DB"]
    assert bot["environment"]["WEBHOOK_HOST"] == "0.0.0.0"  # reachable from the proxy
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert any(v.endswith(":/app/data") for v in bot["volumes"])
    assert bot["stop_grace_period"]  # in-flight updates finish, the webhook is deleted


def test_compose_backs_up_nightly_with_the_tested_script() -> None:
    compose = _compose()
    backup, db = compose["services"]["backup"], compose["services"]["db"]
    assert backup["image"] == db["image"]  # pg_dump of the server's own version
    mounts = dict(v.rsplit(":", 2)[:2] for v in backup["volumes"])
    script = mounts["./scripts/pg-backup"]
    assert backup["entrypoint"][0] == Path(script).name
    assert backup["environment"]["PGHOST"] == "db"
    assert backup["environment"]["PGUSER"] == db["environment"]["POSTGRES_USER"]
    assert backup["environment"]["BACKUP_AT"] and int(backup["environment"]["BACKUP_KEEP"]) > 0
    for name in {v.split(":")[0] for v in backup["volumes"]} - {"./scripts/pg-backup"}:
        assert name in compose["volumes"]
    path = PROJECT_ROOT / "scripts" / "pg-backup"
    assert os.access(path, os.X_OK)
    # The script accepts exactly what the service passes it (--help: exit 0, no backup).
    args = backup["entrypoint"][1:]
    assert "--nightly" in args
    usage = subprocess.run(
        [str(path), "--help"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    for flag in (a for a in args if a.startswith("--")):
        assert flag in usage, shlex.join(args)


def test_compose_restores_with_the_tested_script_only_when_asked() -> None:
    compose = _compose()
    restore, backup = compose["services"]["restore"], compose["services"]["backup"]
    assert restore["profiles"] == ["restore"]  # `docker compose up` leaves it alone
    mounts = dict(v.split(":")[:2] for v in restore["volumes"])
    script = mounts["./scripts/pg-restore"]
    assert restore["entrypoint"] == [Path(script).name]
    assert os.access(PROJECT_ROOT / "scripts" / "pg-restore", os.X_OK)
    assert mounts["backups"] == "/backups" and mounts["kenes-data"] == "/app/data"
    assert restore["environment"] == {
        k: v for k, v in backup["environment"].items() if k.startswith("PG")
    }
    assert restore["image"] == backup["image"]


def test_postgresql_has_room_for_many_schools() -> None:
    """A school of many keeps up to 4 connections (bot.serve.host.POOL_PER_SCHOOL, doubled when
    busy): the compose server takes 100 schools at their busiest."""
    from bot.serve.host import POOL_PER_SCHOOL

    command = _compose()["services"]["db"]["command"]
    (setting,) = [c for c in command if c.startswith("max_connections=")]
    assert int(setting.split("=")[1]) >= 100 * 2 * POOL_PER_SCHOOL
