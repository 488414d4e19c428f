"""`python -m bot invite`: print a one-time invite link from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from bot.config import Settings
from bot.core.roles import Role
from bot.core.school_class import normalize_class


def add_staff_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    invite = sub.add_parser("invite", help="print a one-time invite link for a person")
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="KEY", help="a person key from the plan (see /staff)")
    who.add_argument("--name", help="a new person's name")
    invite.add_argument(
        "--role",
        action="append",
        choices=[r.value for r in Role],
        default=[],
        help="role of a new person (repeatable)",
    )
    invite.add_argument("--class", dest="class_name", help="class of a class teacher, e.g. 7Ә")
    invite.add_argument("--days", type=int, default=7, help="days until the link expires")
    invite.add_argument("--bot-username", help="the bot's username (default: asked from Telegram)")
    invite.set_defaults(handler=_invite)


def _invite(args: argparse.Namespace) -> int:
    from bot.config_check import settings_for_tool

    settings = settings_for_tool()
    if settings is None:
        return 1
    return asyncio.run(_ainvite(args, settings))


async def _ainvite(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import select

    from bot.core.plan import PlanError, load_plan
    from bot.services import staff
    from db.engine import create_engine, create_session_pool, upgrade_database
    from db.models import Person

    if args.days < 1:
        print("--days must be at least 1", file=sys.stderr)
        return 1
    username = args.bot_username or await _bot_username(settings)
    if username is None:
        print("give --bot-username, or set BOT_TOKEN in .env so it can be asked", file=sys.stderr)
        return 1
    try:
        plan = load_plan(settings.plan_path)
    except PlanError as exc:
        print(exc, file=sys.stderr)
        return 1
    clock = SystemClock(ZoneInfo(settings.timezone))
    schema = settings.database_schema
    await asyncio.to_thread(upgrade_database, settings.database_url, schema=schema)
    engine = create_engine(settings.database_url, schema=schema)
    try:
        async with create_session_pool(engine)() as session:
            await staff.sync_people(session, plan)
            if args.person:
                person = (
                    await session.exec(select(Person).where(Person.key == args.person))
                ).first()
                if person is None:
                    print(f"no person with key {args.person!r}", file=sys.stderr)
                    return 1
            else:
                name = " ".join(args.name.split())
                if not 2 <= len(name) <= 80:
                    print("--name must be 2 to 80 characters", file=sys.stderr)
                    return 1
                klass = normalize_class(args.class_name) if args.class_name else None
                if args.class_name and klass is None:
                    print(f"not a class of grades 1-11: {args.class_name!r}", file=sys.stderr)
                    return 1
                person = await staff.add_person(
                    session,
                    name,
                    args.role or [Role.TEACHER.value],
                    by=None,
                    now=clock.now(),
                    class_name=klass,
                )
            token = await staff.create_invite(
                session, person, by=None, now=clock.now(), ttl=timedelta(days=args.days)
            )
            print(f"{person.name}: https://t.me/{username}?start={token}")
            print(f"(one use, expires in {args.days} days)")
    finally:
        await engine.dispose()
    return 0


async def _bot_username(settings: Settings) -> str | None:
    if settings.bot_token is None:
        return None
    from bot.factory import create_bot

    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    finally:
        await bot.session.close()
    return me.username
