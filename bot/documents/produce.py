"""Each of the council's papers as a file: read (`data.py`), format (`context.py`), render
(`render.py` for Word, `xlsx.py` for Excel). The bot's /documents, the CLI's ``export`` and the
demo all come through here.

`Produced.sensitive` says whether the file carries a child's name (the register, a case file,
minutes with the closed appendix): the bot then sends it with ``protect_content``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.calendar import SchoolCalendar
from bot.core.plan import Plan
from bot.core.plan_lang import plan_in
from bot.core.roles import Role
from bot.documents import context as ctx
from bot.documents import data as q
from bot.documents.render import BUILTIN_TEMPLATES, render_docx, template_path
from bot.documents.xlsx import analysis_xlsx, register_xlsx
from bot.services.staff import audit
from db.models import Person

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class DocOptions:
    """What a school sets: its name on the papers, the director who signs the plan, and the
    folder of its own templates (None: the built-in ones)."""

    school: str | None = None
    director: str | None = None
    templates_dir: Path | None = None


def options(settings: object) -> DocOptions:
    """The document options of a `bot.config.Settings`."""
    return DocOptions(
        school=getattr(settings, "school_name", None),
        director=getattr(settings, "director_name", None),
        templates_dir=getattr(settings, "templates_dir", None),
    )


@dataclass(frozen=True, slots=True)
class Produced:
    filename: str
    content: bytes
    sensitive: bool  # carries a child's name

    @property
    def mime(self) -> str:
        return XLSX if self.filename.endswith(".xlsx") else DOCX


def _school(plan: Plan, opts: DocOptions) -> str:
    return opts.school or plan.school


async def _names(session: AsyncSession) -> tuple[str, str]:
    """(chair, secretary) as the papers sign them."""
    people = (await session.exec(select(Person).where(Person.active))).all()

    def holder(role: Role) -> str:
        found = sorted((p for p in people if role.value in p.roles), key=lambda p: p.id or 0)
        return found[0].name if found else ""

    return holder(Role.CHAIR), holder(Role.SECRETARY)


def _today(now: datetime, calendar: SchoolCalendar) -> date:
    return now.astimezone(calendar.tz).date()


async def minutes(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    lang: str,
    opts: DocOptions,
    number: int,
    *,
    with_appendix: bool | None = None,
) -> Produced:
    """`q.NotRecorded` if session №`number` was not recorded."""
    data = await q.load_minutes(
        session, plan, calendar, number, with_appendix=with_appendix, lang=lang
    )
    context = ctx.minutes_context(_school(plan_in(plan, lang), opts), lang, data)
    content = render_docx(template_path("minutes", lang, opts.templates_dir), context)
    name = f"minutes-{number}-{data.held_on.isoformat()}-{lang}.docx"
    return Produced(name, content, data.has_child_names)


async def register(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    lang: str,
    opts: DocOptions,
    which: q.RegisterFilter = q.RegisterFilter.CURRENT,
    fmt: str = "xlsx",
) -> Produced:
    rows = await q.load_register(session, calendar, which)
    today = _today(now, calendar)
    school = _school(plan_in(plan, lang), opts)
    if fmt == "xlsx":
        content = register_xlsx(school, lang, calendar.year, which, rows, ctx.ddmmyyyy(today))
    else:
        chair, _ = await _names(session)
        context = ctx.register_context(school, lang, calendar.year, which, rows, today, chair)
        content = render_docx(template_path("register", lang, opts.templates_dir), context)
    name = f"register-{which.value}-{today.isoformat()}-{lang}.{fmt}"
    return Produced(name, content, sensitive=bool(rows))


async def analysis(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    lang: str,
    opts: DocOptions,
    *,
    half: bool,
    fmt: str = "docx",
) -> Produced:
    plan = plan_in(plan, lang)  # titles in the paper's language
    start, end = q.half_year_bounds(calendar) if half else q.year_bounds(calendar)
    data = await q.load_analysis(session, plan, calendar, start, end, now)
    school = _school(plan, opts)
    if fmt == "xlsx":
        content = analysis_xlsx(school, lang, data, half=half)
    else:
        chair, secretary = await _names(session)
        context = ctx.analysis_context(
            school, lang, data, half=half, chair=chair, secretary=secretary
        )
        content = render_docx(template_path("analysis", lang, opts.templates_dir), context)
    which = "h1" if half else "year"
    return Produced(f"analysis-{which}-{calendar.year}-{lang}.{fmt}", content, sensitive=False)


async def case_file(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    lang: str,
    opts: DocOptions,
    student_id: int,
    *,
    actor: Person | None,
    via: str,
) -> Produced | None:
    """None if there is no such student. The caller checks that `actor` may read the card;
    every file made is audited (``document.case_file``, the student by id only)."""
    data = await q.load_case_file(session, calendar, student_id)
    if data is None:
        return None
    sections = ctx.load_prevention_plan(lang, opts.templates_dir, BUILTIN_TEMPLATES)
    chair, _ = await _names(session)
    today = _today(now, calendar)
    context = ctx.case_file_context(
        _school(plan_in(plan, lang), opts), lang, data, sections, calendar.tz, today, chair
    )
    content = render_docx(template_path("case_file", lang, opts.templates_dir), context)
    await audit(
        session,
        actor=actor,
        action="document.case_file",
        target=f"student:{student_id}",
        now=now,
        via=via,
        lang=lang,
    )
    await session.commit()
    return Produced(f"case-file-{student_id}-{today.isoformat()}-{lang}.docx", content, True)


async def effective_plan(
    session: AsyncSession,
    plan: Plan,
    calendar: SchoolCalendar,
    now: datetime,
    lang: str,
    opts: DocOptions,
) -> Produced:
    data = await q.load_effective_plan(session, plan_in(plan, lang), calendar)
    chair, _ = await _names(session)
    director = opts.director or ""
    context = ctx.plan_context(_school(plan, opts), lang, data, data.plan, director, chair)
    content = render_docx(template_path("plan", lang, opts.templates_dir), context)
    return Produced(f"plan-{calendar.year}-{lang}.docx", content, sensitive=False)
