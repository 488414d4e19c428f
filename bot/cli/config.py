"""`python -m bot check-config`: every setting as the bot will use it, then "OK" or the problems.

A new school runs it first (README, "Set-up"). Nothing touches the network or writes; the token
is masked. Exit status 0 when all is well, 1 with one line per problem (as `run` prints them).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = sub.add_parser(
        "check-config", help="print the configuration in use and check every setting"
    )
    check.add_argument("--env-file", type=Path, default=Path(".env"), help="default: .env")
    check.set_defaults(handler=_check_config)
    key = sub.add_parser("backup-key", help="print a new random BACKUP_KEY")
    key.set_defaults(handler=_backup_key)


def _check_config(args: argparse.Namespace) -> int:
    from bot.config import attachments_folder, backup_folder, sqlite_path
    from bot.config_check import check_settings, effective

    env_file: Path = args.env_file
    checked = check_settings(env_file)
    found = "found" if env_file.is_file() else "not found: the defaults and the environment"
    print(f"Kenes configuration ({env_file.resolve()}: {found})")
    for name, value in effective(checked):
        print(f"  {name}={value}")
    settings = checked.settings
    print()
    db = sqlite_path(settings.database_url)
    if any(p.setting == "DATABASE_URL" for p in checked.problems):
        print("Database:    see DATABASE_URL below")
    elif db is not None:
        state = f"{db.stat().st_size:,} bytes" if db.is_file() else "will be created at start"
        print(f"Database:    {_abs(db)} ({state})")
    else:
        print("Database:    a database server (see DATABASE_URL)")
    print(f"Attachments: {_abs(attachments_folder(settings))}")
    admins = ", ".join(str(i) for i in settings.admin_ids) or (
        "none: ADMIN_IDS is empty (invite people with `python -m bot invite`)"
    )
    print(f"Admins:      {admins}")
    encrypted = "encrypted" if settings.backup_key else "NOT encrypted (BACKUP_KEY is empty)"
    print(
        f"Backups:     {_abs(backup_folder(settings))} ({encrypted}, {settings.backup_keep} kept)"
    )
    if checked.plan is not None:
        plan = checked.plan
        items = sum(1 for _ in plan.items())
        sessions = len(plan.sessions)
        print(f"Plan:        {_abs(settings.plan_path)} ({items} items, {sessions} sessions)")
    if checked.calendar is not None and checked.calendar_path is not None:
        print(f"Calendar:    {_abs(checked.calendar_path)} (school year {checked.calendar.year})")
    if checked.schools:
        from bot.serve.schools import describe_schools

        print(f"Schools:     {len(checked.schools)} in {_abs(settings.schools_file or Path())}")
        print("\n".join(describe_schools(checked)))
    print()
    if checked.ok:
        print("OK")
        return 0
    count = len(checked.problems)
    print(f"{count} problem{'s' if count > 1 else ''} / {count} қате / проблем: {count}")
    for line in checked.lines():
        print(line)
    return 1


def _abs(path: Path) -> str:
    try:
        return str(path.expanduser().resolve())
    except OSError:
        return str(path)


def _backup_key(args: argparse.Namespace) -> int:
    from bot.config_check import new_backup_key

    print(new_backup_key())
    return 0
