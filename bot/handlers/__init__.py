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
        incidents,
        plan_admin,
        sessions,
        start,
        status,
        students,
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
        incidents.router_factory(),
        students.router_factory(),
        sessions.router_factory(),
        rsvp.router_factory(),  # "I'll come / I can't" on a session's reminder
        status.router_factory(),
        plan_admin.router_factory(),
        documents.router_factory(),
        fallback.router_factory(),
    ]
