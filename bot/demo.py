"""`python -m bot demo`: the real bot, a fake Telegram, a scripted school day, printed.

No token and no network beyond loopback: the production dispatcher (`create_dispatcher`) polls a
strict `fakegram.FakeTelegram` on ``127.0.0.1``, with a throwaway SQLite database in a temporary
directory and a hand-set clock on a school-day morning. Fake users play the staff; what they and
the bot say is printed as the fake server's transcript, one heading per scene.

The day is the list `SCENES`. A scene is an async function of the running `Demo`; it raises
`NotBuiltYet` when the feature it shows is not in the bot yet (it tries the feature and sees the
"unknown command" answer), and the demo prints a one-line note instead. Adding a scene is adding
a function and a line to `SCENES`. A scene that fails for another reason is reported and the
day goes on: the demo always finishes with exit code 0 (`DemoResult.failed` says what broke).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import ManualClock

if TYPE_CHECKING:  # the CLI imports this module for every command: keep that cheap
    from aiogram import Bot, Dispatcher
    from sqlalchemy.ext.asyncio import async_sessionmaker
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.config import Settings
    from fakegram import FakeMessage, FakeTelegram, FakeUser, Violation

log = logging.getLogger(__name__)

TZ = ZoneInfo("Asia/Aqtobe")
DAY = datetime(2026, 11, 16, 7, 30, tzinfo=TZ)  # a Monday of the second term, before classes
ADMIN_ID = 4242
BOT_USERNAME = "kenes_demo_bot"
REPLY_TIMEOUT = 5.0  # seconds to wait for an answer of the bot (it comes in milliseconds)

# Who plays whom: plan person keys (seed/plan.json) and the names the fake users show.
PEDAGOGUE = "amangeldi-sm"
PSYCHOLOGIST = "rakhimzhanova-ar"
CHAIR = "eshkeeva-at"
CLASS_TEACHER_NAME = "Сейткалиева Б.Қ."
CLASS_TEACHER_CLASS = "7Ә"


class NotBuiltYet(Exception):
    """The feature a scene shows is not in the bot yet."""


@dataclass
class SceneResult:
    title: str
    status: str  # "played", "not built", "failed"
    note: str = ""
    transcript: str = ""


@dataclass
class DemoResult:
    lang: str
    scenes: list[SceneResult]
    violations: list[Violation]
    documents: list[Path] = field(default_factory=list)

    @property
    def transcript(self) -> str:
        return self.render()

    @property
    def failed(self) -> list[SceneResult]:
        return [s for s in self.scenes if s.status == "failed"]

    def scene(self, title_part: str) -> SceneResult:
        for scene in self.scenes:
            if title_part in scene.title:
                return scene
        raise KeyError(f"no scene titled like {title_part!r}")

    def render(self) -> str:
        lines = [
            f"Kenes demo: a school day on {DAY:%A %Y-%m-%d} ({DAY.tzinfo}), language {self.lang}",
            "The real bot against a fake Telegram on 127.0.0.1, a throwaway database, no token.",
        ]
        for scene in self.scenes:
            lines += ["", f"━━ {scene.title} ━━"]
            if scene.transcript:
                lines.append(scene.transcript)
            if scene.status != "played":
                lines.append(f"({scene.note})")
        if self.documents:
            lines += ["", "The council's papers (python -m bot export ... writes the same):"]
            lines += [f"  {path}" for path in self.documents]
        lines.append("")
        if self.violations:
            lines.append(f"Fake Telegram saw {len(self.violations)} violation(s):")
            lines += [f"  • {v.method}: {v.message}" for v in self.violations]
        else:
            lines.append("Fake Telegram saw no violations.")
        return "\n".join(lines)


@dataclass
class Demo:
    """One running Kenes and its cast of fake users."""

    fake: FakeTelegram
    settings: Settings
    clock: ManualClock
    pool: async_sessionmaker[AsyncSession]
    bot: Bot
    dp: Dispatcher
    lang: str
    cast: dict[str, FakeUser] = field(default_factory=dict)
    documents_dir: Path | None = None  # where the papers scene writes (None: a new temp folder)
    documents: list[Path] = field(default_factory=list)

    def t(self, key: str, **values: object) -> str:
        from bot.texts import t

        return t(self.lang, key, **values)

    def at(self, hh_mm: str) -> None:
        """Move the clock to `hh_mm` on the demo day."""
        self.clock.set(datetime.combine(DAY.date(), time.fromisoformat(hh_mm), tzinfo=TZ))

    def user(self, role: str, first_name: str, **kwargs: Any) -> FakeUser:
        user = self.fake.user(first_name=first_name, language_code=self.lang, **kwargs)
        self.cast[role] = user
        return user

    async def reply(self, user: FakeUser) -> FakeMessage:
        return await user.next_message(timeout=REPLY_TIMEOUT)

    async def tap(self, user: FakeUser, label: str) -> None:
        """Tap an inline button and wait for the bot's answer to the tap."""
        await user.tap(label)
        await user.next_callback_answer(timeout=REPLY_TIMEOUT)

    async def try_command(self, user: FakeUser, command: str, feature: str) -> FakeMessage:
        """Send `command`; raise `NotBuiltYet` if the bot does not know it."""
        user.skip_messages()
        await user.command(command)
        reply = await self.reply(user)
        if reply.text in {self.t("unknown_command"), self.t("not_allowed")}:
            raise NotBuiltYet(f"{feature}: not yet built")
        return reply

    async def invite_token(self, person_key: str) -> str:
        from sqlmodel import select

        from bot.services import staff
        from db.models import Person

        async with self.pool() as session:
            person = (await session.exec(select(Person).where(Person.key == person_key))).one()
            return await staff.create_invite(session, person, by=None, now=self.clock.now())

    async def join(self, role: str, person_key: str, first_name: str) -> FakeMessage:
        """A new user opens their invite link; returns the welcome."""
        user = self.user(role, first_name)
        await user.command("/start", await self.invite_token(person_key))
        return await self.reply(user)


# --- the school day -----------------------------------------------------------------------------


async def admin_invites_pedagogue(demo: Demo) -> None:
    demo.at("07:30")
    admin = demo.user("admin", "Директор", id=ADMIN_ID)
    await admin.command("/staff")
    await demo.reply(admin)
    await demo.tap(admin, "⏳ Амангелді С.М.")
    await demo.tap(admin, demo.t("btn_invite"))
    link = await demo.reply(admin)
    token = link.text.split("start=", 1)[1].split()[0]
    demo.at("07:34")
    pedagogue = demo.user("pedagogue", "Сания")
    await pedagogue.command("/start", token)
    await demo.reply(pedagogue)


async def staff_join_by_links(demo: Demo) -> None:
    from bot.services import staff

    demo.at("07:40")
    await demo.join("psychologist", PSYCHOLOGIST, "Айгүл")
    # A class teacher the admin added earlier (not in the plan's list of people).
    async with demo.pool() as session:
        person = await staff.add_person(
            session,
            CLASS_TEACHER_NAME,
            ["class_teacher", "teacher"],
            by=None,
            now=demo.clock.now(),
            class_name=CLASS_TEACHER_CLASS,
        )
    await demo.join("teacher", person.key, "Ботагөз")
    await demo.join("chair", CHAIR, "Ақмарал")


async def reminders_go_out(demo: Demo) -> None:
    try:
        from bot.scheduler import jobs
        from bot.scheduler.outbox import Outbox
    except ImportError as exc:
        raise NotBuiltYet("reminders: not yet built") from exc
    if not hasattr(jobs, "tick"):
        raise NotBuiltYet("reminders: not yet built")
    ctx = demo.dp.workflow_data.get("app_context") or jobs.AppContext(
        session_pool=demo.pool,
        plan=demo.dp["plan"],
        calendar=demo.dp["calendar"],
    )
    enqueued = 0
    for moment in ("08:00", "08:30"):  # the working morning and the weekly digest
        demo.at(moment)
        before = len(demo.fake.sent_messages)
        result = await jobs.tick(ctx, demo.clock.now())
        if demo.dp.workflow_data.get("outbox") is None:
            # The production sender is not wired into the dispatcher: send as it would.
            await Outbox(demo.bot, demo.pool, demo.clock, per_chat_interval_s=0.0).drain()
        await demo.fake.wait_until(
            lambda n=before + result.enqueued: len(demo.fake.sent_messages) >= n
        )
        enqueued += result.enqueued
    if not enqueued:
        raise NotBuiltYet("reminders: nothing was due for the demo staff")


async def teacher_taps_done(demo: Demo) -> None:
    # A reminder alone has "Done"; a message of several things has "Done all" (one tap).
    for role in ("teacher", "psychologist", "pedagogue", "chair"):
        user = demo.cast.get(role)
        if user is None:
            continue
        for label in (demo.t("btn_task_done"), demo.t("btn_done_all")):
            try:
                message = user.find_button_message(label)
            except LookupError:
                continue
            demo.at("10:15")
            await user.tap(label, message)
            await user.next_callback_answer(timeout=REPLY_TIMEOUT)
            await demo.fake.wait_until(lambda m=message: m.edited, REPLY_TIMEOUT)
            return
    raise NotBuiltYet("Done buttons: no reminder with a Done button reached the staff")


async def pedagogue_files_incident(demo: Demo) -> None:
    """A new student, a category, the note, Save: the psychologist is told without a name."""
    pedagogue = demo.cast["pedagogue"]
    demo.at("11:20")
    await demo.try_command(pedagogue, "/incident", "incident notes")
    student, note = INCIDENT_NOTE[demo.lang]
    await demo.tap(pedagogue, demo.t("btn_new_student"))  # the prompt becomes "name and class"
    await pedagogue.send(student)
    await demo.reply(pedagogue)  # the categories
    await demo.tap(pedagogue, demo.t("cat_absence"))
    await pedagogue.send(note)
    await demo.reply(pedagogue)  # check the note
    await demo.tap(pedagogue, demo.t("btn_save_now"))
    psychologist = demo.cast.get("psychologist")
    if psychologist is not None:
        psychologist.skip_messages()
        await demo.reply(psychologist)  # "New note #1 · absence · 7Ә": no name, no text


INCIDENT_NOTE = {
    "kk": ("Сапаров Ерлан 7Ә", "Оқушы үш күн сабаққа келмеді. Ата-анасымен телефонмен сөйлестім."),
    "ru": ("Сапаров Ерлан 7Ә", "Ученик три дня не был на уроках. Поговорила с родителями."),
}


async def chair_asks_status(demo: Demo) -> None:
    demo.at("14:00")
    await demo.try_command(demo.cast["chair"], "/status", "/status")


async def chair_sets_session_date(demo: Demo) -> None:
    """Session №4 (November) is set for today, 16:00."""
    demo.at("15:00")
    chair = demo.cast["chair"]
    await demo.try_command(chair, "/sessions", "council sessions")
    await demo.tap(chair, "❓ №4")
    await demo.tap(chair, demo.t("btn_ses_set_date"))
    await demo.tap(chair, DAY.strftime("%d.%m"))
    await demo.tap(chair, "16:00")
    await demo.tap(chair, demo.t("btn_ses_skip"))


async def secretary_records_session(demo: Demo) -> None:
    """An hour after the session the secretary is asked to record it: everyone present, a
    guest, a decision with its owner, save; the minutes come back as a file."""
    from bot.scheduler import jobs
    from bot.scheduler.outbox import Outbox
    from bot.services import staff

    demo.at("08:05")
    async with demo.pool() as session:
        person = await staff.add_person(
            session, SECRETARY_NAME, ["secretary", "teacher"], by=None, now=demo.clock.now()
        )
    await demo.join("secretary", person.key, "Айгерім")
    secretary = demo.cast["secretary"]
    demo.at("17:05")
    ctx = demo.dp.workflow_data["app_context"]
    await jobs.tick(ctx, demo.clock.now())
    await Outbox(demo.bot, demo.pool, demo.clock, per_chat_interval_s=0.0).drain()
    await demo.reply(secretary)  # "Record session №4"
    await demo.tap(secretary, demo.t("btn_rec_start", number=4))
    await secretary.send(GUEST[demo.lang])
    await demo.reply(secretary)
    await demo.tap(secretary, demo.t("btn_ses_attend_ok"))
    await secretary.send(DECISION[demo.lang])
    await demo.reply(secretary)
    await demo.tap(secretary, "Утешова А.К.")
    for _ in range(2):
        await demo.tap(secretary, demo.t("btn_rec_next_item"))
    await demo.tap(secretary, demo.t("btn_rec_review"))
    await demo.tap(secretary, demo.t("btn_rec_save"))
    await demo.reply(secretary)  # the minutes, as a .docx


async def papers_into_a_folder(demo: Demo) -> None:
    """One of each paper, written into a folder; the paths are printed."""
    from bot.documents import DocOptions, produce
    from bot.documents.data import RegisterFilter

    folder = demo.documents_dir or Path(tempfile.mkdtemp(prefix="kenes-demo-documents-"))
    folder.mkdir(parents=True, exist_ok=True)
    plan, calendar, now, lang = demo.dp["plan"], demo.dp["calendar"], demo.clock.now(), demo.lang
    opts = DocOptions()
    async with demo.pool() as session:
        made = [
            await produce.minutes(session, plan, calendar, now, lang, opts, 4),
            await produce.register(session, plan, calendar, now, lang, opts,
                                   RegisterFilter.YEAR, "xlsx"),
            await produce.analysis(session, plan, calendar, now, lang, opts, half=True),
            await produce.analysis(session, plan, calendar, now, lang, opts, half=False,
                                   fmt="xlsx"),
            await produce.case_file(session, plan, calendar, now, lang, opts, 1, actor=None,
                                    via="demo"),
            await produce.effective_plan(session, plan, calendar, now, lang, opts),
        ]  # fmt: skip
    for doc in made:
        if doc is None:
            continue
        path = folder / doc.filename
        path.write_bytes(doc.content)
        demo.documents.append(path)


SECRETARY_NAME = "Серікова А.Б."
GUEST = {
    "kk": "Жұмабаев Е.С., ювеналдық полиция инспекторы",
    "ru": "Жумабаев Е.С., инспектор ювенальной полиции",
}
DECISION = {
    "kk": "Ата-аналармен жиналыс өткізу",
    "ru": "Провести собрание с родителями",
}

Scene = tuple[str, Callable[[Demo], Awaitable[None]]]

SCENES: list[Scene] = [
    ("07:30 The admin invites the social pedagogue from /staff", admin_invites_pedagogue),
    ("07:40 A psychologist, a class teacher and the chair join by links", staff_join_by_links),
    ("08:00 The scheduler ticks at 08:00 and 08:30: reminders go out", reminders_go_out),
    ("10:15 A teacher taps Done", teacher_taps_done),
    ("11:20 The social pedagogue files an incident note", pedagogue_files_incident),
    ("14:00 The chair asks for /status", chair_asks_status),
    ("15:00 The chair sets council session №4 for today, 16:00", chair_sets_session_date),
    ("17:05 The secretary records the session; the minutes come back", secretary_records_session),
    ("17:30 Every council paper, written into a folder", papers_into_a_folder),
]


# --- running it ---------------------------------------------------------------------------------


@asynccontextmanager
async def running_kenes(fake: FakeTelegram, lang: str, workdir: Path) -> AsyncIterator[Demo]:
    """The production object graph against `fake`, with a migrated database in `workdir`."""
    from bot.config import CALENDAR_DIR, DEFAULT_PLAN, Settings
    from bot.core.calendar import find_calendar, load_calendar
    from bot.core.plan import load_plan
    from bot.factory import create_bot, create_dispatcher
    from db.engine import create_engine, create_session_pool, upgrade_database

    url = f"sqlite+aiosqlite:///{workdir / 'kenes-demo.db'}"
    await asyncio.to_thread(upgrade_database, url)
    clock = ManualClock(DAY)
    calendar_path = find_calendar(CALENDAR_DIR, DAY.date())
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=fake.token,
        telegram_api_url=fake.base_url,
        admin_ids=[ADMIN_ID],
        database_url=url,
        plan_path=DEFAULT_PLAN,
        calendar_path=calendar_path,
        timezone=str(TZ),
        default_language=lang,
    )
    engine = create_engine(url)
    try:
        pool = create_session_pool(engine)
        bot = create_bot(settings)
        dp = create_dispatcher(
            settings=settings,
            session_pool=pool,
            plan=load_plan(settings.plan_path),
            calendar=load_calendar(calendar_path),
            clock=clock,
            scheduler_enabled=False,  # the demo ticks by hand, on its own clock
        )
        async with fake.polling(dp, bot, polling_timeout=1):
            yield Demo(fake, settings, clock, pool, bot, dp, lang)
    finally:
        await engine.dispose()


async def play_demo(
    lang: str = "kk", scenes: list[Scene] | None = None, documents_dir: Path | None = None
) -> DemoResult:
    """Play the school day and return what happened (nothing printed)."""
    from fakegram import FakeTelegram

    results: list[SceneResult] = []
    with tempfile.TemporaryDirectory(prefix="kenes-demo-") as tmp:
        async with (
            FakeTelegram(bot_username=BOT_USERNAME) as fake,
            running_kenes(fake, lang, Path(tmp)) as demo,
        ):
            demo.documents_dir = documents_dir
            seen = ""
            for title, play in SCENES if scenes is None else scenes:
                result = SceneResult(title, "played")
                try:
                    await play(demo)
                except NotBuiltYet as exc:
                    result.status, result.note = "not built", str(exc)
                # The demo shows features still being built: whatever breaks one scene is
                # reported in the transcript, and the day goes on.
                except Exception as exc:
                    log.debug("scene %r failed", title, exc_info=True)
                    result.status = "failed"
                    result.note = f"scene failed: {type(exc).__name__}: {exc}".splitlines()[0]
                now = fake.transcript()
                result.transcript = now[len(seen) :].strip("\n")
                seen = now
                results.append(result)
            violations = list(fake.violations)
            documents = list(demo.documents)
    return DemoResult(lang, results, violations, documents)


def add_demo_command(sub: Any) -> None:
    """Register ``python -m bot demo`` on the CLI's subparsers."""
    demo = sub.add_parser(
        "demo",
        help="play a scripted school day against a fake Telegram (no token needed)",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    demo.add_argument("--lang", choices=("kk", "ru"), default="kk", help="the staff's language")
    demo.add_argument(
        "--documents",
        type=Path,
        metavar="DIR",
        help="where the papers go (default: a new temp folder)",
    )
    demo.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from bot.logs import configure_logging, configured

    if configured():  # as basicConfig: a host's logging (pytest's) is left alone
        configure_logging(logging.ERROR, TZ)
    result = asyncio.run(play_demo(args.lang, documents_dir=args.documents))
    sys.stdout.write(result.render() + "\n")
    return 0
