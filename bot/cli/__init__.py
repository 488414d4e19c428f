"""`python -m bot [command]`: run the bot (default) or a tool that needs no Telegram token."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from bot.backup import add_backup_commands
    from bot.cli.audit import add_audit_commands
    from bot.cli.config import add_config_commands
    from bot.cli.export import add_export_commands
    from bot.cli.plan import add_core_commands
    from bot.cli.send import add_send_command
    from bot.cli.serve import add_serve_commands
    from bot.cli.simulate import add_simulate_command
    from bot.cli.staff import add_staff_commands
    from bot.demo import add_demo_command

    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument(
        "--school", metavar="NAME", help="with SCHOOLS_FILE: the school a tool works on"
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    run = sub.add_parser("run", help="run the bot (the default)")
    run.set_defaults(handler=_run)
    add_core_commands(sub)
    add_staff_commands(sub)
    add_demo_command(sub)
    add_backup_commands(sub)
    add_export_commands(sub)
    add_config_commands(sub)
    add_audit_commands(sub)
    add_send_command(sub)
    add_serve_commands(sub)
    add_simulate_command(sub)
    return parser


def _run(args: argparse.Namespace) -> int:
    from bot.main import run

    return run()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", _run)
    _safe_logging()
    from bot.cli.serve import select_school

    refused = select_school(args.school, args.command)
    if refused is not None:
        return refused
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 0


def _safe_logging() -> None:
    """The tools log through the bot's formatter too (ids only, no token, exceptions by type),
    at WARNING; `run` sets LOG_LEVEL and the school's time zone itself. A host's logging
    (pytest's) is left alone."""
    import logging
    from zoneinfo import ZoneInfo

    from bot.logs import configure_logging

    if not logging.getLogger().handlers:
        configure_logging(logging.WARNING, ZoneInfo("Asia/Aqtobe"))
