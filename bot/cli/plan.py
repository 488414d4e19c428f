"""`python -m bot plan ...`: check, convert and describe the plan file; no Telegram, no database.

python -m bot plan check [FILE]     what was understood, item by item, and every problem
python -m bot plan schema [-o FILE] the JSON Schema of a plan file (seed/plan.schema.json)
python -m bot plan convert [SOURCE] [MAPPING] [-o FILE]
                                    the source table text + the hand-kept mapping -> plan
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.config import SEED_DIR

DEFAULT_SOURCE = SEED_DIR / "source-plan-2023-2024.txt"
DEFAULT_MAPPING = SEED_DIR / "plan-mapping.json"


def add_core_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    plan = sub.add_parser("plan", help="check, convert or describe the plan file")
    plan_sub = plan.add_subparsers(dest="plan_command", metavar="plan-command", required=True)

    check = plan_sub.add_parser("check", help="print what was understood and every problem")
    check.add_argument("file", nargs="?", type=Path, help="plan file (default: PLAN_PATH)")
    check.add_argument("-q", "--quiet", action="store_true", help="print the problems only")
    check.set_defaults(handler=_check)

    schema = plan_sub.add_parser("schema", help="print the JSON Schema of a plan file")
    schema.add_argument("-o", "--output", type=Path, help="write it to this file")
    schema.set_defaults(handler=_schema)

    convert = plan_sub.add_parser("convert", help="convert the source table into a plan file")
    convert.add_argument("source", nargs="?", type=Path, default=DEFAULT_SOURCE)
    convert.add_argument("mapping", nargs="?", type=Path, default=DEFAULT_MAPPING)
    convert.add_argument("-o", "--output", type=Path, help="write the plan to this file")
    convert.set_defaults(handler=_convert)

    from bot.cli.plan_import import add_import_commands
    from bot.cli.schedule import add_schedule_commands

    add_import_commands(plan_sub)
    add_schedule_commands(sub)


def _default_plan() -> Path:
    from pydantic import ValidationError

    from bot.config import DEFAULT_PLAN, Settings

    try:
        return Settings().plan_path
    except ValidationError:  # a broken .env should not hide the plan's own problems
        return DEFAULT_PLAN


def _check(args: argparse.Namespace) -> int:
    from bot.core.plan import check_plan, describe_plan

    path: Path = args.file or _default_plan()
    plan, problems = check_plan(path)
    if plan is not None and not args.quiet:
        for line in describe_plan(plan):
            print(line)
    for problem in problems:
        print(problem.line(), file=sys.stderr)
    if problems:
        count = len(problems)
        print(f"{path}: {count} problem{'s' if count > 1 else ''}", file=sys.stderr)
        return 1
    assert plan is not None
    items = sum(1 for _ in plan.items())
    print(f"{path}: OK ({items} items, {len(plan.sessions)} sessions)")
    return 0


def _schema(args: argparse.Namespace) -> int:
    from bot.core.plan import plan_schema_text

    text = plan_schema_text()
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.write_text(text, encoding="utf-8")
    return 0


def _convert(args: argparse.Namespace) -> int:
    from bot.core.convert import convert, dump_json
    from bot.core.plan import PlanError, parse_plan

    try:
        text = args.source.read_text(encoding="utf-8")
        mapping = json.loads(args.mapping.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        print(f"cannot read the input: {error}", file=sys.stderr)
        return 1
    data, problems = convert(text, mapping)
    for problem in problems:
        print(f"{args.source}: {problem}", file=sys.stderr)
    output = dump_json(data)
    if args.output is None:
        sys.stdout.write(output)
    else:
        args.output.write_text(output, encoding="utf-8")
    try:
        parse_plan(data, str(args.output or "<converted plan>"))
    except PlanError as error:
        print(error, file=sys.stderr)
        return 1
    return 1 if problems else 0
