"""The checks of the settings that say how updates arrive and how many schools one process
serves: RUN_MODE, WEBHOOK_*, SCHOOLS_FILE, DATABASE_SCHEMA. One function per setting, named
``_check_<field>`` and run by `bot.config_check.check_settings` like its own (one line per
problem, naming the setting, with a good example).

`PROCESS_SETTINGS` are the server's, not a school's: with SCHOOLS_FILE they come from the
environment (``.env``) only, and a school's table may not set them.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from bot.config import Settings

__all__ = ["PROCESS_SETTINGS", "SECRET_RE", "SERVE_CHECKS", "WEBHOOK_PORTS"]

PROCESS_SETTINGS = frozenset(
    {
        "run_mode",
        "webhook_url",
        "webhook_path",
        "webhook_secret",
        "webhook_host",
        "webhook_port",
        "webhook_replicas",
        "schools_file",
        "log_level",
        "dev_log_sql",
    }
)
RUN_MODES = ("polling", "webhook")
# setWebhook: "Ports currently supported for webhooks: 443, 80, 88, 8443."
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
# setWebhook's secret_token: 1-256 of these characters (at least 16 here: not guessable).
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{16,256}")
_PATH_RE = re.compile(r"/(?:[A-Za-z0-9_.~-]+/?)*")
_HOST_RE = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*")
SCHEMA_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _problem(name: str, value: object, key: str | None = None) -> Any:
    from bot.config_check import _problem as problem

    return problem(name, value, key)


def run_mode(settings: Settings) -> str:
    return settings.run_mode.strip().lower()


def _check_run_mode(settings: Settings, **_: Any) -> Any:
    return None if run_mode(settings) in RUN_MODES else _problem("run_mode", settings.run_mode)


def _check_webhook_url(settings: Settings, **_: Any) -> Any:
    url = settings.webhook_url
    if url is None:
        required = run_mode(settings) == "webhook"
        return _problem("webhook_url", None, "cfg_required") if required else None
    parts = urlsplit(url)
    try:
        port = parts.port or 443
    except ValueError:
        port = 0
    good = (
        parts.scheme == "https"
        and bool(parts.hostname)
        and port in WEBHOOK_PORTS
        and not (parts.query or parts.fragment or parts.username or parts.password)
        and url == url.strip()
        and " " not in url
    )
    return None if good else _problem("webhook_url", url)


def _check_webhook_path(settings: Settings, **_: Any) -> Any:
    path = settings.webhook_path
    good = _PATH_RE.fullmatch(path) is not None and len(path) <= 100 and path != "/healthz"
    return None if good and path != "/" else _problem("webhook_path", path)


def _check_webhook_secret(settings: Settings, **_: Any) -> Any:
    secret = settings.webhook_secret
    if secret is None:
        required = run_mode(settings) == "webhook"
        return _problem("webhook_secret", None, "cfg_required") if required else None
    value = secret.get_secret_value()
    return None if SECRET_RE.fullmatch(value) else _problem("webhook_secret", value)


def _check_webhook_host(settings: Settings, **_: Any) -> Any:
    host = settings.webhook_host
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if _HOST_RE.fullmatch(host) is None:
            return _problem("webhook_host", host)
    return None


def _check_webhook_replicas(settings: Settings, **_: Any) -> Any:
    # Telegram gives a bot's updates to one long poll at a time.
    if settings.webhook_replicas > 1 and run_mode(settings) != "webhook":
        return _problem("webhook_replicas", settings.webhook_replicas)
    return None


def _check_schools_file(settings: Settings, **_: Any) -> Any:
    path = settings.schools_file
    if path is None or path.expanduser().is_file():
        return None
    from bot.config_check import _abs
    from bot.config_check import _problem as problem

    return problem("schools_file", path, "cfg_file_missing", detail=_abs(path.expanduser()))


def _check_database_schema(settings: Settings, *, bad: set[str], **_: Any) -> Any:
    schema = settings.database_schema
    if schema is None:
        return None
    if SCHEMA_RE.fullmatch(schema) is None or schema.startswith("pg_"):
        return _problem("database_schema", schema)
    if "database_url" in bad:
        return None  # the URL's own problem
    from sqlalchemy.engine import make_url

    if make_url(settings.database_url).get_backend_name() not in ("postgresql", "postgres"):
        return _problem("database_schema", schema, "cfg_schema_needs_postgres")
    return None


SERVE_CHECKS = (
    _check_run_mode,
    _check_webhook_url,
    _check_webhook_path,
    _check_webhook_secret,
    _check_webhook_host,
    _check_webhook_replicas,
    _check_schools_file,
    _check_database_schema,
)
