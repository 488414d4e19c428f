"""/sessions: the year's council sessions; set a date, call an extraordinary one, record a held
session (the secretary's part) and get its minutes.

Everything here needs `Perm.MANAGE_SESSIONS` (admin, chair, secretary); others get "not
allowed". A button is checked against the dialogue it belongs to (the FSM state, or the
recording draft in the database) and against the database: a stale or forged one gets a clear
answer and changes nothing.

* `listing` — the list and a session's card; `dates` — dates, places, extraordinary sessions;
* `record` — recording a session (the draft survives a restart); `keyboards` — every keyboard;
* `common` — the helpers they share.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.filters import Command

from bot.callbacks import SessionAction, SessionCb
from bot.filters import HasPerm, PrivateChat
from bot.handlers.sessions import dates, listing, record
from bot.handlers.sessions.common import forbidden
from bot.permissions import Perm
from bot.states import SessionForm

A = SessionAction


def router_factory() -> Router:
    router = Router(name="sessions")
    router.message.filter(PrivateChat(), HasPerm(Perm.MANAGE_SESSIONS))
    allowed = HasPerm(Perm.MANAGE_SESSIONS)
    router.callback_query.register(forbidden, SessionCb.filter(), ~allowed)
    router.message.register(listing.list_cmd, Command("sessions"))

    def cb(handler: Any, *actions: SessionAction) -> None:
        router.callback_query.register(
            handler, SessionCb.filter(F.action.in_(set(actions))), allowed
        )

    cb(listing.list_tap, A.LIST)
    cb(listing.open_tap, A.OPEN)
    cb(dates.date_tap, A.DATE)
    cb(dates.extra_tap, A.EXTRA)
    cb(dates.day_tap, A.DAY)
    cb(dates.time_tap, A.TIME)
    cb(dates.no_place_tap, A.NO_PLACE)
    cb(record.record_tap, A.RECORD)
    cb(record.edit_tap, A.EDIT)
    cb(record.attend_tap, A.ATTEND)
    cb(record.all_tap, A.ALL)
    cb(record.attend_ok_tap, A.ATTEND_OK)
    cb(record.item_next_tap, A.ITEM_NEXT)
    cb(record.item_back_tap, A.ITEM_BACK)
    cb(record.reporters_tap, A.REPORTERS)
    cb(record.spoke_tap, A.SPOKE)
    cb(record.undo_tap, A.UNDO)
    cb(record.back_to_item_tap, A.REPORTERS_OK)
    cb(record.reporter_tap, A.REPORTER)
    cb(record.due_tap, A.DUE)
    cb(record.owner_tap, A.OWNER)
    cb(record.appendix_tap, A.APPENDIX)
    cb(record.save_tap, A.SAVE)
    msg = router.message.register
    msg(dates.day_typed, SessionForm.day, F.text)
    msg(dates.time_typed, SessionForm.time, F.text)
    msg(dates.place_typed, SessionForm.place, F.text)
    msg(dates.agenda_typed, SessionForm.agenda, F.text)
    msg(record.typed, record.DraftText())
    return router
