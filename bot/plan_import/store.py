"""Where the plan in use lives: a folder of dated versions (`PLANS_DIR`, default `data/plans`).

    data/plans/
        versions/0001-20260820-101500.json   a plan file, as `plan check` reads it
        versions/0002-20260821-090000.json
        history.json                         one line per version: when, from what, note

The **active** plan is the newest version. `plan import FILE --write` (or the admin's "confirm"
in the bot) adds a version; the one before stays as it was, so `plan rollback N` can bring it
back (as a new version, a copy of N: history only grows). With no version yet, the bot uses
`PLAN_PATH` (the seed plan). An explicit `PLAN_PATH` in `.env` wins over the folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.core.convert import dump_json
from bot.core.plan import Plan, load_plan

_VERSIONS = "versions"
_HISTORY = "history.json"


@dataclass(frozen=True, slots=True)
class Version:
    number: int
    file: str  # name inside versions/
    saved_at: str  # ISO, aware
    source: str  # the file it came from ("plan-2027.docx"), or "rollback"
    note: str = ""
    items: int = 0
    sessions: int = 0


class PlanStoreError(Exception):
    pass


class PlanStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def versions_dir(self) -> Path:
        return self.root / _VERSIONS

    def versions(self) -> list[Version]:
        path = self.root / _HISTORY
        if not path.is_file():
            return []
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            return [Version(**row) for row in rows]
        except (OSError, ValueError, TypeError) as exc:
            raise PlanStoreError(f"{path}: cannot read the history: {exc}") from None

    def path_of(self, version: Version) -> Path:
        return self.versions_dir / version.file

    def active(self) -> Path | None:
        """The file of the newest version, or None before the first import."""
        found = self.versions()
        return self.path_of(found[-1]) if found else None

    def save(self, data: dict[str, Any], *, source: str, now: datetime, note: str = "") -> Version:
        """Write `data` (checked plan data) as the next version; the active one from now on."""
        if now.tzinfo is None:
            raise ValueError("aware datetimes only")
        found = self.versions()
        number = found[-1].number + 1 if found else 1
        name = f"{number:04d}-{now:%Y%m%d-%H%M%S}.json"
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        sessions = data.get("sessions", [])
        items = sum(len(s.get("items", [])) for s in data.get("sections", []))
        version = Version(number, name, now.isoformat(), source, note, items, len(sessions))
        _write(self.versions_dir / name, dump_json(data))
        rows = [asdict(v) for v in (*found, version)]
        _write(self.root / _HISTORY, json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
        return version

    def rollback(self, number: int, *, now: datetime) -> Version:
        """Make version `number` active again, as a new version (a copy of it)."""
        found = {v.number: v for v in self.versions()}
        if number not in found:
            raise PlanStoreError(f"there is no version {number} (see `plan versions`)")
        data = json.loads(self.path_of(found[number]).read_text(encoding="utf-8"))
        return self.save(data, source="rollback", now=now, note=f"rollback to version {number}")


def _write(path: Path, text: str) -> None:
    """Write whole or not at all: a temporary file renamed over the target."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def plan_path_in_use(plan_path: Path, default_plan: Path, plans_dir: Path) -> Path:
    """The plan the bot runs on: an explicit PLAN_PATH, else the newest imported version,
    else the seed plan."""
    if Path(plan_path).resolve() != Path(default_plan).resolve():
        return plan_path
    active = PlanStore(plans_dir).active()
    return active if active is not None else plan_path


def load_plan_in_use(plan_path: Path, default_plan: Path, plans_dir: Path) -> Plan:
    return load_plan(plan_path_in_use(plan_path, default_plan, plans_dir))
