"""Two schools in one process (SCHOOLS_FILE), end to end: the production `Host` serving two bots
of the strict fake Telegram by webhook, each school with its own database (two SQLite files;
on PostgreSQL one database, a schema each), plan, data folder and secret.

Neither school sees the other's staff, plan, notes or documents; a school added or removed
(what SIGHUP does: `Host.reload`) leaves the other running, untouched.
"""

from __future__ import annotations

import io
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from sqlmodel import select

from bot.clock import ManualClock
from bot.config import DEFAULT_PLAN
from bot.config_check import check_settings
from bot.serve.host import Host
from bot.serve.school import Options
from bot.services import staff
from bot.texts import t
from db.engine import create_session_pool
from db.models import Account, Incident, Person, Student
from fakegram import FakeTelegram
from fakegram.chats import FakeMessage, FakeUser
from tests.databases import backend
from tests.harness import ADMIN_ID, tap
from tests.process import SETTING_NAMES

TODAY = date(2026, 11, 24)
PUBLIC = "https://district.test"
SECRET = "district-webhook-secret_0123456789"
TOKENS = {
    "school-12": "7000000112:AAH-school-12-token_0123456789abcdef",
    "lyceum-3": "7000000103:AAH-lyceum-3-token_0123456789abcdefg",
    "gymnasium-8": "7000000108:AAH-gymnasium-8-token_0123456789abcd",
}
NAMES = {
    "school-12": "№ 12 мектеп-гимназия",
    "lyceum-3": "№ 3 лицей",
    "gymnasium-8": "№ 8 гимназия",
}
LYCEUM_ITEM = "Лицейдің құқық апталығы (Ly-3310)"
CHILD = "Сапаров Ерлан"
NOTE = "Үзілісте сыныптасын итеріп жіберді (Sc-1207)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class District:
    fake: FakeTelegram
    clock: ManualClock
    host: Host
    file: Path
    tables: dict[str, str]

    def write(self, *names: str) -> None:
        self.file.write_text("\n".join(self.tables[n] for n in names), encoding="utf-8")

    async def join(self, school: str, key: str, first_name: str) -> FakeUser:
        """Someone opens an invite of `school`'s bot for plan person `key`."""
        engine = self.host.schools[school].engine
        assert engine is not None
        async with create_session_pool(engine)() as session:
            person = (await session.exec(select(Person).where(Person.key == key))).one()
            token = await staff.create_invite(session, person, by=None, now=self.clock.now())
        user = self.fake.user(first_name=first_name, language_code="kk", bot=TOKENS[school])
        await user.command("/start", token)
        await user.next_message()
        return user

    async def rows(self, school: str, model: type) -> list:  # type: ignore[type-arg]
        engine = self.host.schools[school].engine
        assert engine is not None
        async with create_session_pool(engine)() as session:
            return list((await session.exec(select(model))).all())


@pytest.fixture
async def district(
    fakegram: FakeTelegram,
    empty_db_url: str,
    clock: ManualClock,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[District]:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # each school's data folder: data/NAME
    for name, token in TOKENS.items():
        fakegram.add_bot(token, username=f"kenes_{name.replace('-', '_')}_bot")
    plan = json.loads(DEFAULT_PLAN.read_text(encoding="utf-8"))
    plan["sections"][0]["items"][0]["title"] = LYCEUM_ITEM
    lyceum_plan = tmp_path / "lyceum-plan.json"
    lyceum_plan.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    tables = {}
    for name, token in TOKENS.items():
        lines = [
            f"[schools.{name}]",
            f'bot_token = "{token}"',
            f'school_name = "{NAMES[name]}"',
            f"admin_ids = [{ADMIN_ID}]",
        ]
        if backend() == "postgres":  # one database, a schema for each school
            lines += [f'database_url = "{empty_db_url}"', f'database_schema = "{name[:3]}_db"']
        if name == "lyceum-3":
            lines.append(f'plan_path = "{lyceum_plan}"')
        tables[name] = "\n".join(lines) + "\n"
    file = tmp_path / "schools.toml"
    port = _free_port()
    settings = {
        "RUN_MODE": "webhook",
        "WEBHOOK_URL": PUBLIC,
        "WEBHOOK_SECRET": SECRET,
        "WEBHOOK_PORT": str(port),
        "SCHOOLS_FILE": str(file),
        "TELEGRAM_API_URL": fakegram.base_url,
        "CALENDAR_PATH": str(Path(DEFAULT_PLAN).parent / "calendar" / "2026-2027.json"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    fakegram.route_webhook(PUBLIC, f"http://127.0.0.1:{port}")
    district = District(fakegram, clock, None, file, tables)  # type: ignore[arg-type]
    district.write("school-12", "lyceum-3")
    checked = check_settings(None, today=TODAY)
    assert checked.lines() == []
    options = Options(
        clock=lambda settings: clock,
        session=lambda settings: fakegram.make_bot(settings.bot_token.get_secret_value()).session,  # type: ignore[union-attr]
        extra={"scheduler_enabled": False, "outbox_enabled": False},
        pool_size=2,
    )
    host = Host(
        checked, env_file=None, options=options, check=lambda: check_settings(None, today=TODAY)
    )
    district.host = host
    assert await host.start() == []
    try:
        yield district
    finally:
        await host.stop()


def _text(message: FakeMessage) -> str:
    doc = Document(io.BytesIO(message.document_bytes or b""))
    return "\n".join(
        [p.text for p in doc.paragraphs]
        + [c.text for t in doc.tables for r in t.rows for c in r.cells]
    )


async def _plan_document(user: FakeUser) -> str:
    await user.command("/documents")
    await user.next_message()
    await tap(user, "📅 Жоспар (бекітуге)")
    message = await user.next_message()
    assert message.document is not None, message.text
    return _text(message)


async def test_two_schools_never_see_each_others_staff_plans_notes_or_documents(
    district: District, fakegram: FakeTelegram
) -> None:
    a, b = "school-12", "lyceum-3"
    webhooks = {t: fakegram.bot(t).webhook_url for t in (TOKENS[a], TOKENS[b])}
    assert webhooks == {TOKENS[a]: f"{PUBLIC}/telegram/{a}", TOKENS[b]: f"{PUBLIC}/telegram/{b}"}
    assert fakegram.bot(TOKENS[a]).webhook_secret != fakegram.bot(TOKENS[b]).webhook_secret

    # Staff: the same person of the plan joins each school's bot, as two Telegram users.
    pa = await district.join(a, "amangeldi-sm", "Сания")
    pb = await district.join(b, "amangeldi-sm", "Гүлмира")
    assert [x.telegram_user_id for x in await district.rows(a, Account)] == [pa.id]
    assert [x.telegram_user_id for x in await district.rows(b, Account)] == [pb.id]
    stranger = fakegram.user(id=pa.id, first_name="Сания", bot=TOKENS[b])  # A's staff on B
    await stranger.command("/help")
    assert (await stranger.next_message()).text == t("kk", "stranger")

    # Plans and documents: each school's paper has its own name and its own plan.
    text_a, text_b = await _plan_document(pa), await _plan_document(pb)
    assert NAMES[a] in text_a and NAMES[b] not in text_a and LYCEUM_ITEM not in text_a
    assert NAMES[b] in text_b and NAMES[a] not in text_b and LYCEUM_ITEM in text_b

    # Notes: one in school A about A's student; school B neither has it nor finds the child.
    engine = district.host.schools[a].engine
    assert engine is not None
    async with create_session_pool(engine)() as session:
        session.add(Student(full_name=CHILD, class_name="7Ә", created_at=district.clock.now()))
        await session.commit()
    await pa.command("/incident")
    await pa.next_message()
    for label in ["7Ә", f"{CHILD} · 7Ә", "төбелес/зорлық"]:
        await tap(pa, label)
    await pa.send(NOTE)
    await pa.next_message()
    await tap(pa, "✅ Сақтау · қазір")
    assert len(await district.rows(a, Incident)) == 1
    assert await district.rows(b, Incident) == [] and await district.rows(b, Student) == []
    await pb.command("/students")
    await pb.next_message()
    await pb.send("Сапаров")
    found = await pb.next_message()
    assert CHILD not in found.text and not found.buttons, found.text
    # Their files too: each school's own folder.
    folders = {n: s.settings.attachments_dir for n, s in district.host.schools.items()}
    assert folders == {a: Path("data/school-12/attachments"), b: Path("data/lyceum-3/attachments")}


async def test_adding_and_removing_a_school_leaves_the_other_running(
    district: District, fakegram: FakeTelegram
) -> None:
    a, b, c = "school-12", "lyceum-3", "gymnasium-8"
    school_a = district.host.schools[a]
    pa = await district.join(a, "amangeldi-sm", "Сания")
    pb = await district.join(b, "amangeldi-sm", "Гүлмира")
    district.write(a, c)  # lyceum-3 goes, gymnasium-8 comes
    outcome = await district.host.reload()
    assert outcome == {
        "added": [c],
        "removed": [b],
        "restarted": [],
        "unchanged": [a],
        "failed": [],
    }
    assert district.host.schools[a] is school_a  # not restarted
    assert fakegram.bot(TOKENS[b]).webhook_url == ""  # deleted: Telegram keeps B's updates
    assert fakegram.bot(TOKENS[c]).webhook_url == f"{PUBLIC}/telegram/{c}"
    await pa.command("/help")
    assert "/tasks" in (await pa.next_message()).text
    admin_c = fakegram.user(id=ADMIN_ID, first_name="Admin", bot=TOKENS[c])
    await admin_c.command("/help")
    assert "/staff" in (await admin_c.next_message()).text
    await pb.command("/help")  # B is stopped: its update waits at Telegram for its return
    await pb.no_message()
    assert fakegram.bot(TOKENS[b]).updates != []

    # B comes back (its webhook set again): what waited is answered.
    district.write(a, b, c)
    outcome = await district.host.reload()
    assert outcome["added"] == [b] and outcome["unchanged"] == [a, c]
    assert "/tasks" in (await pb.next_message()).text
    # A changed setting restarts that school alone.
    district.tables[c] = district.tables[c].replace(NAMES[c], "№ 8 гимназия (жаңа)")
    district.write(a, b, c)
    outcome = await district.host.reload()
    assert outcome["restarted"] == [c] and outcome["unchanged"] == [a, b]
    assert district.host.schools[a] is school_a
    # A broken file changes nothing.
    district.file.write_text("[schools.x\n", encoding="utf-8")
    assert await district.host.reload() == {}
    assert set(district.host.schools) == {a, b, c}
