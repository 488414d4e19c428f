"""The one query layer of the council's papers: plain dataclasses read from the database.

Every figure a document shows is computed here once; the Word context (`context.py`) and the
Excel writer (`xlsx.py`) only format what these functions return. Nothing here knows a
language: names are as stored, kinds are enum values, dates are dates.

* `load_minutes(session, plan, calendar, number)`: a recorded session.
* `load_register(session, calendar, which)`: the students on preventive record.
* `load_analysis(session, plan, calendar, start, end)`: the figures of a period's analysis.
* `load_case_file(session, calendar, student_id)`: one child's file (the caller checks rights
  and audits).
* `load_effective_plan(session, plan, calendar)`: the plan laid on this year's calendar.
"""

from bot.documents.data.analysis import (
    AnalysisData,
    DecisionFigures,
    ItemFigure,
    PersonFigure,
    SectionFigure,
    half_year_bounds,
    load_analysis,
    year_bounds,
)
from bot.documents.data.case_file import (
    AnalysisStage,
    CaseFileData,
    ChronologyEntry,
    load_case_file,
)
from bot.documents.data.common import RegisterFilter, class_key
from bot.documents.data.minutes import (
    CasesSummary,
    DecisionLine,
    MinutesData,
    MinutesItem,
    NotRecorded,
    held_sessions,
    load_minutes,
)
from bot.documents.data.plan import (
    EffectivePlan,
    PlanLine,
    PlanSection,
    SessionLine,
    load_effective_plan,
    person_names,
    responsible_names,
)
from bot.documents.data.register import RegisterRow, load_register

__all__ = [
    "AnalysisData",
    "AnalysisStage",
    "CaseFileData",
    "CasesSummary",
    "ChronologyEntry",
    "DecisionFigures",
    "DecisionLine",
    "EffectivePlan",
    "ItemFigure",
    "MinutesData",
    "MinutesItem",
    "NotRecorded",
    "PersonFigure",
    "PlanLine",
    "PlanSection",
    "RegisterFilter",
    "RegisterRow",
    "SectionFigure",
    "SessionLine",
    "class_key",
    "half_year_bounds",
    "held_sessions",
    "load_analysis",
    "load_case_file",
    "load_effective_plan",
    "load_minutes",
    "load_register",
    "person_names",
    "responsible_names",
    "year_bounds",
]
