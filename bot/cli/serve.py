"""Commands for running the bot on a server: `health` (the Dockerfile's HEALTHCHECK),
`webhook-secret`, and the global ``--school NAME`` of the other commands with SCHOOLS_FILE.

* ``python -m bot health`` — exit 0 if the running bot is well, else 1, with one line. In
  webhook mode it asks ``GET /healthz`` on WEBHOOK_HOST:WEBHOOK_PORT (200: every school's
  database answers); by polling it reads the heartbeat file the bot writes every 30 s
  (`bot.serve.health`). Nothing else is touched.
* ``python -m bot webhook-secret`` — a new random WEBHOOK_SECRET.
* ``python -m bot --school NAME COMMAND …`` — with SCHOOLS_FILE, a tool (invite, export,
  audit, plan import, …) works on that school: the school's settings, as the server runs it,
  become the command's environment. Without ``--school`` such a command refuses with one line.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys

# Commands that are the server's, or need no school's data.
SERVER_COMMANDS = frozenset(
    {"run", "send", "check-config", "health", "demo", "backup-key", "webhook-secret", "calendar"}
)


def add_serve_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    health = sub.add_parser(
        "health", help="exit 0 if the running bot is well (webhook: /healthz; polling: heartbeat)"
    )
    health.set_defaults(handler=_health)
    secret = sub.add_parser("webhook-secret", help="print a new random WEBHOOK_SECRET")
    secret.set_defaults(handler=_webhook_secret)


def _health(args: argparse.Namespace) -> int:
    from bot.config_check import settings_for_tool
    from bot.serve.checks import run_mode
    from bot.serve.health import heartbeat_path, read_heartbeat

    settings = settings_for_tool()
    if settings is None:
        return 1
    if run_mode(settings) == "webhook":
        well, line = _ask_healthz(settings.webhook_host, settings.webhook_port)
    else:
        well, line = read_heartbeat(heartbeat_path(settings))
    print(line, file=sys.stdout if well else sys.stderr)
    return 0 if well else 1


def _ask_healthz(host: str, port: int) -> tuple[bool, str]:
    import json
    import urllib.error
    import urllib.request

    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body = json.loads(response.read())
            return True, f"ok ({len(body.get('schools', {}))} school(s))"
    except urllib.error.HTTPError as exc:
        try:
            body = json.loads(exc.read())
        except ValueError:
            body = {}
        schools = json.dumps(body.get("schools", {}), ensure_ascii=False)
        return False, f"unwell ({exc.code}): {schools}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{url} does not answer ({type(exc).__name__}): the bot is not running"


def _webhook_secret(args: argparse.Namespace) -> int:
    print(secrets.token_urlsafe(32))
    return 0


def select_school(name: str | None, command: str | None) -> int | None:
    """Before a command runs: with ``--school NAME``, NAME's settings into the environment; a
    data command without it, while SCHOOLS_FILE is set, refused. None: go on; else the exit
    status after printing one line."""
    from pydantic import ValidationError

    from bot.config import Settings

    if command in SERVER_COMMANDS and name is None:
        return None
    try:
        schools_file = Settings().schools_file
    except (ValidationError, UnicodeDecodeError):
        return None  # the command's own check says what is wrong
    if schools_file is None:
        if name is not None:
            print("--school needs SCHOOLS_FILE (a file listing the schools)", file=sys.stderr)
            return 2
        return None
    from bot.serve.schools import school_environment

    if name is None:
        print(
            f"SCHOOLS_FILE={schools_file} lists several schools: name one, "
            f"python -m bot --school NAME {command or 'run'} …",
            file=sys.stderr,
        )
        return 2
    found = school_environment(name)
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return 1
    os.environ.update(found)
    return None
