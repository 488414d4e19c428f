"""Routers, one per feature; `get_routers()` builds fresh ones for each dispatcher."""

from __future__ import annotations

from aiogram import Router


def get_routers() -> list[Router]:
    from bot.handlers import (
        admin,
        assign,
        common,
        documents,
        fallback,
        inbox,
        incidents,
        plan_admin,
        plan_routine,
        replies,
        sessions,
        start,
        status,
        students,
        task_list,
        tasks,
    )
    from bot.handlers.sessions import rsvp

    # Order matters: the fallback router comes last and answers whatever nobody else took.
    return [
        common.router_factory(),  # /help, /cancel, /language: the commonest, first
        start.router_factory(),
        admin.router_factory(),
        assign.router_factory(),
        tasks.router_factory(),
        task_list.router_factory(),  # /tasks, /today: one message, paged
        inbox.router_factory(),  # one message per moment, the weekly check-in
        replies.router_factory(),  # a reply to a reminder: done, a comment, evidence
        incidents.router_factory(),
        students.router_factory(),
        sessions.router_factory(),
        rsvp.router_factory(),  # "I'll come / I can't" on a session's reminder
        status.router_factory(),
        plan_admin.router_factory(),
        plan_routine.router_factory(),  # /plan: routine duties, work due before people joined
        documents.router_factory(),
        fallback.router_factory(),
    ]
