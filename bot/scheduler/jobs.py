"""The scheduler: APScheduler's clock, and `tick(ctx, now)`, which plans what is due.

The database is the truth; the scheduler is only a clock. Each minute `tick` reads the plan, the
calendar and the database (people, accounts, reports, set session dates, decisions), asks the
pure planner what is due, and puts each message in the outbox under its dedup key
``{occurrence_key}|{person_id}|{kind}`` (`INSERT … ON CONFLICT DO NOTHING`), then wakes the
sender. Nothing is remembered between ticks except a cache of the day's occurrences.

* Two ticks at once in one process are serialised by a lock; two processes are kept apart by
  the unique dedup keys and the ``kv`` claims of the overdue summary.
* Missed reminders: the first tick after a start plans whatever is due (late, if it still
  matters: see `bot.scheduler.planner`).
* The overdue summary runs once a day (`PlannerConfig.summary_time`, claimed in ``kv`` as
  ``overdue-summary:{date}``); each occurrence is escalated once (``escalated:{key}``).

The job holds an `AppContext` in APScheduler's in-memory job store: the session *factory*, the
plan, the calendar, never a `Bot`, a message or a database session.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock
from bot.config import CALENDAR_DIR
from bot.core.calendar import SchoolCalendar
from bot.core.hosts import guests_of
from bot.core.plan import Plan
from bot.core.plan_lang import localize
from bot.core.schedule import DEFAULT_POLICY, ReminderPolicy
from bot.fsm_storage import STALE_AFTER, DbStorage
from bot.keyboards import record_prompt_kb, report_ready_kb, rsvp_kb, set_date_kb, task_kb
from bot.permissions import Perm, can
from bot.scheduler import moments
from bot.scheduler.planner import (
    DEFAULT_CONFIG,
    Escalation,
    Intent,
    PlannerConfig,
    ReportView,
    Roster,
    plan_reminders,
)
from bot.services import routine, students, tasks
from bot.services.assignments import effective_plan
from bot.texts import t
from db.dialect import insert_ignore
from db.models import KeyValue, Report, ReportStatus
from db.models import Occurrence as OccurrenceRow
from db.models import Reminder as OutboxRow

log = logging.getLogger(__name__)
STOP_GRACE_S = 10.0

JOB_ID = "kenes-tick"
PURGE_JOB_ID = "kenes-purge-dialogues"


@dataclass
class AppContext:
    """What a tick needs. No Bot, no session: a session factory."""

    session_pool: async_sessionmaker[AsyncSession]
    plan: Plan
    calendar: SchoolCalendar
    policy: ReminderPolicy = DEFAULT_POLICY
    config: PlannerConfig = DEFAULT_CONFIG
    wake: Callable[[], None] | None = None  # the outbox sender's wake-up
    calendar_dir: Path | None = None  # the year files: next year's is checked in August
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    running: set[asyncio.Task[None]] = field(default_factory=set)  # ticks started by the clock
    stopping: bool = False  # `stop` has begun: a tick it cancels ends quietly


@dataclass
class TickResult:
    planned: int = 0  # intents the planner offered
    enqueued: int = 0  # new outbox rows (first parts)
    escalated: int = 0  # occurrences put into an overdue summary


async def tick(ctx: AppContext, now: datetime) -> TickResult:
    """Plan and enqueue everything due at `now` (aware). Safe to call at any time, twice."""
    if now.tzinfo is None:
        raise ValueError("tick needs an aware datetime")
    result = TickResult()
    async with ctx.lock, ctx.session_pool() as session:
        overrides = await tasks.load_overrides(session, ctx.calendar, ctx.policy)
        plan = await effective_plan(session, ctx.plan)  # with /reassign applied
        occs = tasks.occurrences_around(
            plan,
            ctx.calendar,
            overrides,
            now.astimezone(ctx.calendar.tz).date(),
            back=ctx.config.overdue_horizon + ctx.config.escalate_after,
            ahead=ctx.config.lookahead,
            policy=ctx.policy,
        )
        roster = await tasks.load_roster(session, plan)
        reports = await tasks.reports_for(session, [o.key for o in occs])
        due = plan_reminders(
            occs, roster, reports, now, ctx.calendar, ctx.policy, overrides.closed, ctx.config
        )
        result.planned = len(due.intents)
        known = await _existing(session, [i.dedup_key for i in due.intents])
        fresh = [i for i in due.intents if i.dedup_key not in known]
        cases: list[students.CouncilCase] = []
        if any(i.occurrence is not None and i.occurrence.kind == "session" for i in fresh):
            cases = await students.council_cases(session)  # 3.5: on the agenda by themselves
        parts: dict[int, list[moments.Part]] = {}
        for intent in fresh:
            part = _part(intent, roster, reports, overrides, now, cases, ctx.calendar)
            parts.setdefault(intent.person_id, []).append(part)
        if due.escalations and due.summary_to:
            summary = await _summary(session, ctx, due.escalations, due.summary_to, roster, now)
            result.escalated = len(due.escalations) if summary else 0
            for part in summary:
                parts.setdefault(part.person_id, []).append(part)
        for mine in parts.values():
            _trim_digest(mine, now, plan)
            result.enqueued += await moments.enqueue_moment(session, mine, now)
        if ctx.calendar_dir is not None:
            result.enqueued += await _calendar_warning(session, ctx, ctx.calendar_dir, roster, now)
        await session.commit()
    if result.enqueued:
        log.info(
            "tick %s: %d planned, %d enqueued", now.isoformat(), result.planned, result.enqueued
        )
        if ctx.wake is not None:
            ctx.wake()
    return result


async def _existing(session: AsyncSession, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        rows = await session.exec(
            select(OutboxRow.dedup_key).where(col(OutboxRow.dedup_key).in_(chunk))
        )
        found.update(rows.all())
    return found


async def _enqueue(
    session: AsyncSession,
    intent: Intent,
    text: str,
    markup: InlineKeyboardMarkup | None,
    now: datetime,
    kind: str | None = None,
) -> bool:
    from bot.scheduler.outbox import enqueue

    return await enqueue(
        session,
        dedup_key=intent.dedup_key,
        chat_id=intent.chat_id,
        text=text,
        kind=kind or intent.kind,
        due_at=now,
        now=now,
        person_id=intent.person_id,
        occurrence_key=intent.occurrence.key if intent.occurrence else None,
        reply_markup=markup,
        late=intent.late,
    )


def _part(
    intent: Intent,
    roster: Roster,
    reports: dict[tuple[str, int], ReportView],
    overrides: tasks.Overrides,
    now: datetime,
    cases: Sequence[students.CouncilCase],
    calendar: SchoolCalendar,
) -> moments.Part:
    """An intent as a message alone and as a part of a message with others."""
    lang, occ = intent.lang, intent.occurrence

    def make(
        section: str,
        text: str,
        markup: InlineKeyboardMarkup | None,
        block: str | Callable[[int], str],
        **extra: Any,
    ) -> moments.Part:
        return moments.Part(
            key=intent.dedup_key, kind=intent.kind, section=section, person_id=intent.person_id,
            chat_id=intent.chat_id, lang=lang, late=intent.late,
            occurrence_key=occ.key if occ is not None else None, text=text, markup=markup,
            line=moments.plain_line(block) if isinstance(block, str) else block,
            rows=list(markup.inline_keyboard) if markup is not None else [], **extra,
        )  # fmt: skip

    if intent.kind == "digest":
        text = tasks.render_digest(lang, intent.items, now, roster.plan)
        return make("digest", text, None, text, occurrences=intent.items)
    if intent.kind == "checkin":
        days = tuple(localize(o, roster.plan, lang) for o in intent.items)  # keys kept
        text = routine.render_checkin(lang, days, calendar.tz)
        late = "\n\n" + t(lang, "task_late") if intent.late else ""
        alone = InlineKeyboardMarkup(
            inline_keyboard=routine.checkin_rows(lang, days, with_ref=False)
        )
        part = make("checkin", text + late, alone, text, doable=True,
                    items=tuple((o.key, "checkin") for o in days))  # fmt: skip
        part.rows = routine.checkin_rows(lang, days, with_ref=True)
        return part
    assert occ is not None
    if occ.kind == "session" and intent.kind == "record":
        number = occ.ref.removeprefix("council-")
        local = occ.due.astimezone(intent.at.tzinfo)
        text = tasks.render_record_prompt(lang, number, local)
        markup = record_prompt_kb(lang, int(number)) if number.isdigit() else None
        return make("session", text, markup, text)
    if occ.kind == "session":
        number = occ.ref.removeprefix("council-")
        place = overrides.session_places.get(int(number)) if number.isdigit() else None
        person = roster.by_id.get(intent.person_id)
        # Flagged cases (ids and class, never a name) only for those who may read the cards.
        shown = cases if person is not None and can(person.roles, Perm.READ_ALL_INCIDENTS) else ()
        text = tasks.render_session(lang, intent, place, shown, roster.plan)
        block = tasks.render_session(lang, replace(intent, late=False), place, shown, roster.plan)
        markup = None
        if intent.kind.startswith("set_date") and number.isdigit():
            markup = set_date_kb(lang, int(number))  # straight to the day picker
        elif number.isdigit():  # I'll come / I can't: the chair sees the count
            rows = list(rsvp_kb(lang, int(number)).inline_keyboard)
            if intent.points:  # a reporter: "my report is ready" (/status)
                rows += report_ready_kb(lang, int(number)).inline_keyboard
            markup = InlineKeyboardMarkup(inline_keyboard=rows)
        return make("session", text, markup, block)
    text = tasks.render_task(
        lang,
        occ,
        person_id=intent.person_id,
        roster=roster,
        done=tasks.progress(occ, roster, reports),
        kind=intent.kind,
        late=intent.late,
    )
    guests = (guests_of(roster.plan, occ.ref, lang) or occ.guests) if occ.guests else ()
    ref, title = tasks.named(lang, occ, roster.plan)
    line = moments.task_line(lang, ref, routine.short(title), occ.due, intent.kind, guests)
    part = make("task", text, task_kb(lang, occ.key), line, doable=True,
                items=((occ.key, intent.kind),))  # fmt: skip
    label = routine.short(title, 24) if occ.rule == "decision" else ref  # decisions: by title
    part.rows = moments.task_rows(lang, label, occ.key)
    return part


def _trim_digest(parts: list[moments.Part], now: datetime, plan: Plan) -> None:
    """A digest among other parts lists only what they do not carry already (nothing: it is
    still planned, as a part, and shows no block)."""
    if len(parts) < 2:
        return
    carried = {key for p in parts for key, _ in p.items}
    for part in parts:
        if part.section == "digest":
            items = [o for o in part.occurrences if o.key not in carried]
            text = tasks.render_digest(part.lang, items, now, plan) if items else ""
            part.line = moments.plain_line(text)


async def _claim(session: AsyncSession, key: str, value: str, now: datetime) -> bool:
    return await insert_ignore(
        session, KeyValue, {"key": key, "value": value, "updated_at": now}, key=["key"]
    )


async def _summary(
    session: AsyncSession,
    ctx: AppContext,
    escalations: list[Escalation],
    to: tuple[tuple[int, int, str], ...],
    roster: Roster,
    now: datetime,
) -> list[moments.Part]:
    """Once a day from `summary_time`: the newly overdue occurrences, once each, as one part
    per recipient (it joins whatever else they get at this moment)."""
    local = now.astimezone(ctx.calendar.tz)
    if local.time() < ctx.config.summary_time:
        return []
    if not await _claim(session, f"overdue-summary:{local.date().isoformat()}", "1", now):
        return []
    fresh = [
        e
        for e in escalations
        if await _claim(session, f"escalated:{e.occurrence.key}", local.isoformat(), now)
    ]
    if not fresh:
        return []
    reasons = await _cant_reasons(session, [e.occurrence.key for e in fresh])
    run = f"overdue-summary@{local.date().isoformat()}"
    parts = []
    for pid, chat_id, lang in to:
        text = tasks.render_summary(lang, fresh, roster, reasons)
        parts.append(
            moments.Part(
                key=run + f"|{pid}|escalation", kind="escalation", section="escalation",
                person_id=pid, chat_id=chat_id, lang=lang, late=False, occurrence_key=None,
                text=text, markup=None, line=moments.plain_line(text),
            )
        )  # fmt: skip
    log.info("overdue summary: %d occurrences to %d people", len(fresh), len(to))
    return parts


async def _calendar_warning(
    session: AsyncSession, ctx: AppContext, directory: Path, roster: Roster, now: datetime
) -> int:
    """In August, once per admin: next year's calendar file is missing (see
    `bot.scheduler.calendar_check`)."""
    from bot.scheduler import calendar_check
    from bot.texts import t

    year = calendar_check.year_to_check(now.astimezone(ctx.calendar.tz), ctx.policy)
    if year is None or not calendar_check.calendar_missing(directory, year):
        return 0
    intents = calendar_check.warning_intents(year, roster, now)
    known = await _existing(session, [i.dedup_key for i in intents])
    fresh = [i for i in intents if i.dedup_key not in known]
    if not fresh:
        return 0
    sent = 0
    for intent in fresh:
        text = t(intent.lang, "calendar_missing", year=year)
        sent += await _enqueue(session, intent, text, None, now)
    if sent:
        log.info("calendar %s missing: %d admins told", year, sent)
    return sent


async def _cant_reasons(session: AsyncSession, keys: list[str]) -> dict[tuple[str, int], str]:
    rows = (
        await session.exec(
            select(OccurrenceRow.key, Report)
            .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
            .where(col(OccurrenceRow.key).in_(keys), Report.status == ReportStatus.CANT)
        )
    ).all()
    return {(key, r.person_id): r.reason or "—" for key, r in rows}


# --- the scheduler ------------------------------------------------------------------------------


async def _run_tick(ctx: AppContext, clock: Clock) -> None:
    task = asyncio.current_task()
    if task is not None:
        ctx.running.add(task)  # `stop` lets it finish before the database goes away
    try:
        await tick(ctx, clock.now())
    except Exception:  # a failed tick must not stop the clock; the next one retries
        log.exception("tick failed")
    except asyncio.CancelledError:
        if not ctx.stopping:
            raise
        # `stop` gave up on it (logged there). Ending here, not raising, keeps APScheduler from
        # logging a cancelled job as an error with a traceback: its rows are keyed, and the
        # next start's tick does the rest.
    finally:
        if task is not None:
            ctx.running.discard(task)


def create_scheduler(ctx: AppContext, clock: Clock, second: int = 0) -> AsyncIOScheduler:
    """An AsyncIOScheduler with one job: `tick` at the start of every minute (at `second`: many
    schools in one process tick at their own seconds, not all at once), and once at once
    (missed reminders go out at start)."""
    scheduler = AsyncIOScheduler(timezone=ctx.calendar.tz)
    scheduler.add_job(
        _run_tick,
        CronTrigger(second=second, timezone=ctx.calendar.tz),
        args=(ctx, clock),
        id=JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=50,
        replace_existing=True,
        next_run_time=datetime.now(ctx.calendar.tz),  # the first tick at once
    )
    return scheduler


async def start(dispatcher: Any, **data: Any) -> None:
    """Dispatcher startup: build the context, start the scheduler, tick once now."""
    settings = data.get("settings")
    calendar_path = getattr(settings, "calendar_path", None)
    ctx = AppContext(
        session_pool=data["session_pool"],
        plan=data["plan"],
        calendar=data["calendar"],
        policy=data.get("reminder_policy") or DEFAULT_POLICY,
        wake=lambda: _wake(dispatcher),
        calendar_dir=calendar_path.parent if calendar_path is not None else CALENDAR_DIR,
    )
    clock: Clock = data["clock"]
    dispatcher["app_context"] = ctx
    if data.get("scheduler_enabled", True):
        scheduler = create_scheduler(ctx, clock, data.get("tick_second", 0))
        storage = dispatcher.fsm.storage
        if isinstance(storage, DbStorage):  # drafts of abandoned dialogues go nightly
            scheduler.add_job(
                _purge_dialogues,
                CronTrigger(hour=3, minute=15, timezone=ctx.calendar.tz),
                args=(storage,),
                id=PURGE_JOB_ID,
                coalesce=True,
                misfire_grace_time=3600,
                replace_existing=True,
            )
        scheduler.start()
        dispatcher["scheduler"] = scheduler


async def _purge_dialogues(storage: DbStorage) -> None:
    try:
        dropped = await storage.purge()
    except SQLAlchemyError as exc:  # tomorrow night tries again
        log.error("purging stale dialogues failed: %s", type(exc).__name__)
        return
    if dropped:
        log.info("dropped %d dialogues untouched for %s", dropped, STALE_AFTER)


def _wake(dispatcher: Any) -> None:
    outbox = dispatcher.workflow_data.get("outbox")
    if outbox is not None:
        outbox.wake()


async def stop(dispatcher: Any) -> None:
    """Dispatcher shutdown: no new tick starts; a tick in flight finishes (up to
    `STOP_GRACE_S`), then the scheduler stops.

    APScheduler's own shutdown cancels the jobs still running and logs each as an error with
    a CancelledError traceback (a stop that came in the middle of a tick, most often on a busy
    machine): the scheduler is paused first, and shut down once nothing runs."""
    scheduler: AsyncIOScheduler | None = dispatcher.workflow_data.pop("scheduler", None)
    ctx: AppContext | None = dispatcher.workflow_data.get("app_context")
    if ctx is not None:
        ctx.stopping = True
    if scheduler is not None and scheduler.running:
        scheduler.pause()
        await asyncio.sleep(0)  # a tick submitted just now starts, and so is counted
    if ctx is not None and ctx.running:
        # Its rows are keyed: a cancelled tick would be redone by the next start anyway.
        _done, stuck = await asyncio.wait(set(ctx.running), timeout=STOP_GRACE_S)
        for task in stuck:
            task.cancel()
        if stuck:
            await asyncio.wait(stuck)
            log.warning("stop: a tick still running after %.0f s was cancelled", STOP_GRACE_S)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
