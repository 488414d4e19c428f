"""/status: plan progress by section, council sessions, who cannot be reached.

`compute_status(plan, calendar, now, ...)` is pure: the plan, the calendar, the time and plain
database rows in, a `Status` out; no Telegram, no database, no clock. `load_status` reads the
rows; `render_status` makes the messages (each within Telegram's 4096 characters, split between
lines, never cut).

Counting, per section of the plan:

* an occurrence is **done** when every person answering for it reported done (a group item
  counts each member: the line shows "7/11");
* **overdue**: its due moment has passed and it is not done;
* **coming**: not done, due within `COMING` from now.

Items without reminders (1.6: "sessions monthly", which the sessions themselves stand for) and
items nobody in the database answers for (external groups only) are left out. Items without a
timing (2.4) are listed in their section as "no date" until an admin sets one (/plan).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.overrides import needs_timing
from bot.core.plan import Plan, Responsible
from bot.core.plan_lang import plan_in
from bot.core.roles import Role
from bot.core.schedule import DEFAULT_POLICY, ReminderPolicy, occurrences
from bot.escape import quote
from bot.scheduler.outbox import split_message
from bot.services.assignments import effective_plan
from bot.services.sessions import plan_month
from bot.services.staff import members_of
from bot.services.tasks import fmt_when
from bot.texts import t, tp
from db.models import (
    Account,
    AccountState,
    CouncilSession,
    Person,
    Report,
    ReportStatus,
)
from db.models import Occurrence as OccurrenceRow

COMING = timedelta(days=14)
MAX_LINES = 8  # overdue and coming lines per section, the rest counted
TITLE_MAX = 60


@dataclass(frozen=True, slots=True)
class ItemLine:
    ref: str
    title: str
    due: datetime
    done: int
    total: int


@dataclass(slots=True)
class SectionStatus:
    number: int
    title: str
    done: int = 0
    overdue: list[ItemLine] = field(default_factory=list)
    coming: list[ItemLine] = field(default_factory=list)
    undated: list[tuple[str, str]] = field(default_factory=list)  # (ref, title): no timing


@dataclass(frozen=True, slots=True)
class NextSession:
    number: int
    when: datetime | None  # None: only the month is known
    month: int | None


@dataclass(frozen=True, slots=True)
class Status:
    now: datetime
    sections: tuple[SectionStatus, ...]
    held: tuple[tuple[int, datetime], ...]  # (number, held at), plan and extraordinary
    planned_total: int
    extraordinary_held: int
    next_session: NextSession | None
    blocked: tuple[str, ...]  # names: blocked the bot or unreachable
    never_joined: tuple[str, ...]  # names: no account (and not external)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TITLE_MAX else flat[: TITLE_MAX - 1].rstrip() + "…"


def compute_status(
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    *,
    people: Sequence[Person],
    accounts: Iterable[Account],
    done: Iterable[tuple[str, int]],
    sessions: Sequence[CouncilSession],
    policy: ReminderPolicy = DEFAULT_POLICY,
    coming: timedelta = COMING,
    since: date | None = None,
) -> Status:
    """Where the plan stands at `now` (aware). `done`: (occurrence key, person id) pairs with a
    report of status done; `sessions`: the year's `council_session` rows; `since`: the day
    Kenes started keeping track (work due before it was never asked of anyone here, so it is
    not shown as overdue)."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    now = now.astimezone(calendar.tz)
    active = [p for p in people if p.active and p.id is not None]
    finished = set(done)
    lo, hi = calendar.span
    if since is not None:
        lo = max(lo, since)
    end = min(hi, (now + coming).date())
    times = {s.number: s.scheduled_at for s in sessions if s.scheduled_at is not None}
    occs = occurrences(plan, calendar, lo, max(lo, end), policy, times) if lo <= end else []

    members: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[int, ...]] = {}

    def who(people_keys: tuple[str, ...], groups: tuple[str, ...]) -> tuple[int, ...]:
        got = members.get((people_keys, groups))
        if got is None:
            resp = Responsible(people=people_keys, groups=groups)
            got = tuple(p.id for p in members_of(resp, plan, active) if p.id is not None)
            members[(people_keys, groups)] = got
        return got

    section_of = {i.ref: s.number for s in plan.sections for i in s.items}
    reminded = {i.ref for i in plan.items() if i.remind}
    sections = {s.number: SectionStatus(s.number, s.title) for s in plan.sections}
    for occ in occs:
        if occ.kind != "task" or occ.item_ref not in reminded:
            continue
        ids = who(occ.people, occ.groups)
        if not ids:
            continue
        got = sum(1 for pid in ids if (occ.key, pid) in finished)
        section = sections[section_of[occ.item_ref]]
        line = ItemLine(occ.ref, occ.title, occ.due, got, len(ids))
        if got == len(ids):
            section.done += 1
        elif occ.due < now:
            section.overdue.append(line)
        elif occ.due <= now + coming:
            section.coming.append(line)
    item_of = {sub.ref: i.ref for i in plan.items() for sub in i.subitems}
    for ref, title in needs_timing(plan):  # 2.4: no date, never silently left out
        sections[section_of[item_of.get(ref, ref)]].undated.append((ref, title))
    for section in sections.values():
        section.overdue.sort(key=lambda x: x.due, reverse=True)  # the freshest first
        section.coming.sort(key=lambda x: x.due)

    by_number = {s.number: s for s in sessions}
    held = tuple(
        sorted(
            ((s.number, s.held_at) for s in sessions if s.held_at is not None),
            key=lambda x: x[0],
        )
    )
    planned = {ps.number for ps in plan.sessions}
    extraordinary_held = sum(1 for number, _ in held if number not in planned)
    candidates: list[tuple[date, NextSession]] = []
    for ps in plan.sessions:
        row = by_number.get(ps.number)
        if row is not None and row.held_at is not None:
            continue
        month, day = plan_month(ps, calendar)
        if row is not None and row.scheduled_at is not None:
            when = row.scheduled_at.astimezone(calendar.tz)
            if when >= now:
                candidates.append((when.date(), NextSession(ps.number, when, month)))
        elif day is not None:
            when = datetime.combine(day, policy.session_time, tzinfo=calendar.tz)
            if when >= now:
                candidates.append((day, NextSession(ps.number, when, month)))
        elif month is not None:
            first, last = calendar.month_date_range(month)
            if last >= now.date():
                candidates.append((first, NextSession(ps.number, None, month)))
    for row in sessions:
        if row.number in planned or row.held_at is not None or row.scheduled_at is None:
            continue
        when = row.scheduled_at.astimezone(calendar.tz)
        if when >= now:
            candidates.append((when.date(), NextSession(row.number, when, None)))
    candidates.sort(key=lambda c: (c[0], c[1].number))
    next_session = candidates[0][1] if candidates else None

    by_person = {a.person_id: a for a in accounts}
    blocked, never = [], []
    for p in sorted(active, key=lambda p: p.name):
        if not set(p.roles) - {Role.EXTERNAL.value} or p.vacancy:
            continue  # police, doctor: never expected to join; a vacancy is nobody yet
        account = by_person.get(p.id) if p.id is not None else None
        if account is None:
            never.append(p.name)
        elif account.state is AccountState.BLOCKED or account.unreachable_since is not None:
            blocked.append(p.name)
        # revoked accounts: access taken away on purpose, not a reach problem

    return Status(
        now=now,
        sections=tuple(sections[s.number] for s in plan.sections),
        held=held,
        planned_total=len(plan.sessions),
        extraordinary_held=extraordinary_held,
        next_session=next_session,
        blocked=tuple(blocked),
        never_joined=tuple(never),
    )


async def load_status(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    policy: ReminderPolicy = DEFAULT_POLICY,
    lang: str = "kk",
) -> Status:
    """The status at `now`, its titles in the reader's language `lang`."""
    plan = plan_in(await effective_plan(session, plan), lang)  # with /reassign applied
    people = (await session.exec(select(Person).order_by(col(Person.id)))).all()
    accounts = (await session.exec(select(Account).order_by(col(Account.id)))).all()
    joined = [a.joined_at for a in accounts]
    since = min(joined).astimezone(calendar.tz).date() if joined else None
    done = (
        await session.exec(
            select(OccurrenceRow.key, Report.person_id)
            .join(Report, col(Report.occurrence_id) == col(OccurrenceRow.id))
            .where(OccurrenceRow.school_year == calendar.year, Report.status == ReportStatus.DONE)
        )
    ).all()
    rows = (
        await session.exec(
            select(CouncilSession).where(CouncilSession.school_year == calendar.year)
        )
    ).all()
    return compute_status(
        plan,
        calendar,
        now,
        people=people,
        accounts=accounts,
        done=[(k, pid) for k, pid in done],
        sessions=rows,
        policy=policy,
        since=since,
    )


def _ddmm(moment: datetime, calendar: SchoolCalendar) -> str:
    return moment.astimezone(calendar.tz).strftime("%d.%m")


def render_status(
    lang: str,
    status: Status,
    calendar: SchoolCalendar,
    limit: int = 4096,
) -> list[str]:
    """The /status messages: blocks that keep together where they fit, split between lines."""
    blocks: list[str] = [
        t(
            lang,
            "st_head",
            date=fmt_when(lang, status.now, clock=False),
            days=tp(lang, "n_days", COMING.days),
        )
    ]
    for s in status.sections:
        lines = [
            t(
                lang,
                "st_section",
                number=s.number,
                title=quote(_short(s.title)),
                done=s.done,
                overdue=len(s.overdue),
                coming=len(s.coming),
            )
        ]
        for key, items in (("st_overdue_line", s.overdue), ("st_coming_line", s.coming)):
            for item in items[:MAX_LINES]:
                lines.append(
                    t(
                        lang,
                        key,
                        ref=quote(item.ref),
                        title=quote(_short(item.title)),
                        date=_ddmm(item.due, calendar),
                        done=item.done,
                        total=item.total,
                    )
                )
            if len(items) > MAX_LINES:
                lines.append(t(lang, "st_more", n=len(items) - MAX_LINES))
        lines += [
            t(lang, "st_undated_line", ref=quote(ref), title=quote(_short(title)))
            for ref, title in s.undated
        ]
        blocks.append("\n".join(lines))

    planned_held = len(status.held) - status.extraordinary_held
    extra = (
        t(lang, "st_sessions_extra", n=status.extraordinary_held)
        if status.extraordinary_held
        else ""
    )
    lines = [t(lang, "st_sessions", held=planned_held, total=status.planned_total, extra=extra)]
    if status.held:
        listed = ", ".join(f"№{n} ({_ddmm(at, calendar)})" for n, at in status.held)
        lines.append(t(lang, "st_held_list", list=listed))
    nxt = status.next_session
    if nxt is None:
        lines.append(t(lang, "st_next_none"))
    elif nxt.when is not None:
        lines.append(t(lang, "st_next", number=nxt.number, when=fmt_when(lang, nxt.when)))
    else:
        month = t(lang, f"ses_month_{nxt.month}") if nxt.month else "?"
        lines.append(t(lang, "st_next_unset", number=nxt.number, month=month))
    blocks.append("\n".join(lines))

    lines = [t(lang, "st_reach_head")]
    if status.blocked:
        lines.append(t(lang, "st_blocked", names=quote(", ".join(status.blocked))))
    if status.never_joined:
        lines.append(t(lang, "st_never", names=quote(", ".join(status.never_joined))))
    if not status.blocked and not status.never_joined:
        lines.append(t(lang, "st_reach_all"))
    blocks.append("\n".join(lines))
    return pack(blocks, limit)


def pack(blocks: Sequence[str], limit: int = 4096) -> list[str]:
    """Blocks joined by blank lines into messages of at most `limit` characters; a block too
    long for one message is split between lines (`split_message`), never cut."""
    out: list[str] = []
    current = ""
    for block in blocks:
        joined = f"{current}\n\n{block}" if current else block
        if len(joined) <= limit:
            current = joined
            continue
        if current:
            out.append(current)
        parts = split_message(block, limit) if len(block) > limit else [block]
        out.extend(parts[:-1])
        current = parts[-1]
    if current:
        out.append(current)
    return out
