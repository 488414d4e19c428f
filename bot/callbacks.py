"""All callback data factories, in one place. Prefixes are short and versioned (64-byte limit):
change a layout, bump the prefix, and old buttons become stale instead of misread."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, cast

from aiogram.filters.callback_data import CallbackData, CallbackQueryFilter
from aiogram.types import CallbackQuery
from magic_filter import MagicFilter

# The last button data each factory unpacked, with its tap: the filters of one feature all
# unpack the same tap, and it is unpacked once (None: not this factory's data).
_UNPACKED: dict[type[CallbackData], tuple[CallbackQuery, CallbackData | None]] = {}


class TapFilter(CallbackQueryFilter):
    """aiogram's `CallbackData.filter()`, cheaper per tap: another factory's button is told by
    its prefix, without unpacking (which raises, caught, in aiogram's filter), and the filters
    of one factory share one unpacking of a tap. What matches is the same as aiogram's."""

    __slots__ = ()

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        factory = self.callback_data
        if query.data.partition(factory.__separator__)[0] != factory.__prefix__:
            return False
        last = _UNPACKED.get(factory)
        if last is not None and last[0] is query:
            unpacked = last[1]
        else:
            try:
                unpacked = factory.unpack(query.data)
            except (TypeError, ValueError):
                unpacked = None
            _UNPACKED[factory] = (query, unpacked)
        if unpacked is None:
            return False
        if self.rule is None or self.rule.resolve(unpacked):
            return {"callback_data": unpacked}
        return False


class Tappable:
    """First base of every factory here: its `.filter()` is a `TapFilter`."""

    @classmethod
    def filter(cls, rule: MagicFilter | None = None) -> CallbackQueryFilter:
        return TapFilter(callback_data=cast(type[CallbackData], cls), rule=rule)


class LangCb(Tappable, CallbackData, prefix="l1"):
    lang: str


class StaffAction(StrEnum):
    PAGE = "pg"
    CARD = "cd"
    INVITE = "in"
    REVOKE = "rv"
    REVOKE_OK = "ro"
    RESTORE = "rs"
    ROLES = "rl"
    TOGGLE = "tg"
    SAVE = "sv"
    CLASS = "cl"
    FILL = "fl"  # a vacancy: type the name of the person who fills it


class StaffCb(Tappable, CallbackData, prefix="s1"):
    action: StaffAction
    person: int = 0  # 0: a new person being added
    page: int = 0
    role: str = ""


class TaskAction(StrEnum):
    DONE = "d"
    SNOOZE = "s"  # opens the snooze choices
    SNOOZE_HOUR = "sh"
    SNOOZE_TOMORROW = "st"
    SNOOZE_WEEK = "sw"
    CANT = "c"
    COMMENT = "m"
    BACK = "b"  # from the snooze choices back to the main buttons


class TaskCb(Tappable, CallbackData, prefix="k1"):
    """A button on a task reminder. `occ` is the occurrence key ("1.8@2026-09-01")."""

    action: TaskAction
    occ: str


class AssignAction(StrEnum):
    TOGGLE = "t"
    SAVE = "s"


class AssignCb(Tappable, CallbackData, prefix="a1"):
    action: AssignAction
    person: int = 0


class SessionAction(StrEnum):
    LIST = "ls"
    OPEN = "op"  # a session's card
    DATE = "dt"  # set or move the date: opens the day picker
    DAY = "dd"  # arg: YYYYMMDD
    TIME = "tm"  # arg: HHMM
    NO_PLACE = "np"
    RECORD = "rc"  # record that it was held (or show what was recorded)
    EDIT = "ed"  # edit a recorded session
    HELD = "hd"  # held on the scheduled day
    ATTEND = "at"  # arg: person id (toggle)
    ATTEND_OK = "ao"
    OWNER = "ow"  # arg: "p{person id}", "r{role}", "0": no owner
    EXTRA = "ex"  # call an extraordinary session
    # recording (the draft is in the database: `bot.services.recording`)
    ALL = "al"  # everyone present
    ITEM_NEXT = "in"  # arg: the item's index
    ITEM_BACK = "ib"  # arg: the item's index
    REPORTERS = "rp"  # arg: the item's index: pick its reporters
    REPORTER = "rt"  # arg: person id (toggle)
    REPORTERS_OK = "ro"  # arg: the item's index: back to it
    SPOKE = "sp"  # arg: the item's index: type who spoke
    UNDO = "ud"  # arg: the item's index: drop its last decision
    DUE = "du"  # arg: "next_session", "quarter_end"
    APPENDIX = "ax"  # the closed appendix with the children's names (chair)
    SAVE = "sv"


class SessionCb(Tappable, CallbackData, prefix="c1"):
    """A button of /sessions. `num` is the session number, `arg` the choice."""

    action: SessionAction
    num: int = 0
    arg: str = ""


class IncidentAction(StrEnum):
    CLASS = "c"  # value: a class, e.g. "7Ә"
    STUDENT = "s"  # id: a student
    NEW = "n"  # add a new student
    CATEGORY = "k"  # value: an IncidentCategory
    WHEN = "w"  # value: "today", "yday", "date"
    HOUR = "h"  # value: an hour earlier today
    SAVE = "v"
    OPEN = "o"  # id: a note
    EDIT = "e"  # id: a note
    FLAG = "f"  # id: a note
    UNFLAG = "u"  # id: a note


class IncidentCb(Tappable, CallbackData, prefix="n1"):
    action: IncidentAction
    id: int = 0
    value: str = ""


class StudentAction(StrEnum):
    CARD = "c"
    NOTE = "n"  # a new note about this student
    STATUS = "s"  # the register status choices
    SET = "t"  # value: the RegisterStatus chosen; then the session
    SESSION = "x"  # value: status, id2: the council session (0: none)
    FAMILY = "f"
    FLAG = "g"
    UNFLAG = "u"
    TALK = "k"  # add a talk to the chronology
    VISIT = "v"  # add a home visit
    DAY = "d"  # value: "today", "yday": the day of the talk or visit being added
    BIRTH = "b"  # set the date of birth (typed)
    RESPONSIBLE = "r"  # the responsible staff choices
    RESPONSIBLE_SET = "p"  # id2: the person (0: nobody)


class StudentCb(Tappable, CallbackData, prefix="u1"):
    """`ver` is the card's version the user saw: a change made on an older card is refused."""

    action: StudentAction
    id: int
    ver: int = 0
    value: str = ""
    id2: int = 0


class PlanAction(StrEnum):
    FIX = "f"  # ref: choose a timing for it
    PICK = "p"  # ref, arg: a choice of bot.core.overrides.TIMING_CHOICES
    CONFIRM = "ok"
    CANCEL = "no"
    SET = "s"  # ref: a timing for the plan in use (/plan), then PICK with live=1
    HOST = "h"  # ref: who in the school hosts an external-only item (/plan): the staff list
    HOST_SET = "hs"  # ref, arg: the person id chosen as its host
    CLOSE = "x"  # ⬅️ on a choice sent below its screen: the choice closes, the screen stays
    MAIN = "m"  # back to /plan's screen
    ROUTINE = "r"  # the routine duties and how each reaches its people
    ROUTINE_ITEM = "ri"  # ref: the mode choices of one
    ROUTINE_SET = "rs"  # ref, arg: a mode of bot.core.routine.MODES
    HISTORY = "hi"  # work due before its people joined


class PlanCb(Tappable, CallbackData, prefix="p1"):
    """Buttons of the plan import review and of /plan ("no date — set timing", "who hosts")."""

    action: PlanAction
    ref: str = ""
    arg: str = ""
    live: int = 0  # 1: the plan in use (an override), 0: the import waiting for a confirm


class DocAction(StrEnum):
    MENU = "m"
    MINUTES = "mi"  # arg: session number ("": the list of recorded sessions)
    REGISTER = "rg"  # arg: "{filter}.{xlsx|docx}" ("": the choices)
    ANALYSIS = "an"  # arg: "{h1|year}.{docx|xlsx}" ("": the choices)
    CASE = "cf"  # arg: student id ("": type a name)
    PLAN = "pl"


class DocCb(Tappable, CallbackData, prefix="d1"):
    """A button of /documents."""

    action: DocAction
    arg: str = ""


class RsvpCb(Tappable, CallbackData, prefix="v1"):
    """On a council member's session reminder: "I'll come" (1) or "I can't" (0)."""

    num: int
    coming: int


class MomentAction(StrEnum):
    ALL = "a"  # mark every item of the message done
    OPEN = "o"  # occ: show one item's card in the message, with Back
    BACK = "b"  # back from an item's card to the whole message


class MomentCb(Tappable, CallbackData, prefix="b1"):
    """A button on a message that carries several items (one message per moment). The items
    are found by the message (`message_item`), so the data stays short."""

    action: MomentAction
    occ: str = ""


class CheckinAction(StrEnum):
    YES = "y"  # done every day of the week
    MISSED = "m"  # pick the missed days
    TOGGLE = "t"  # mask: the missed days after this tap
    SAVE = "s"  # mask: the missed days
    BACK = "b"


class CheckinCb(Tappable, CallbackData, prefix="w1"):
    """A routine duty's weekly check-in: `ref` ("1.8"), `week` ("2026W48"); `mask` has bit i
    set for a missed day of weekday i (0: Monday)."""

    action: CheckinAction
    ref: str
    week: str
    mask: int = 0


class ListAction(StrEnum):
    PAGE = "p"
    OPEN = "o"  # occ: the item's card, with Back to this page
    BACK = "b"


class ListCb(Tappable, CallbackData, prefix="t1"):
    """/tasks (today=0) and /today (today=1): one message, paged."""

    action: ListAction
    page: int = 0
    today: int = 0
    occ: str = ""


class ReplyAction(StrEnum):
    UNDO = "u"  # msg: take back the "done" a worded reply to that message recorded
    PICK = "p"  # occ: the item a reply to a message with several items is about
    DONE = "d"  # occ: mark done (offered after evidence came in)


class ReplyCb(Tappable, CallbackData, prefix="r1"):
    action: ReplyAction
    occ: str = ""
    msg: int = 0


class StatusAction(StrEnum):
    MAIN = "m"
    SECTION = "s"  # num: the plan section
    ITEM = "i"  # num: its section, key: the line's key (an occurrence, or a duty's week)
    REACH = "r"  # who cannot be reached, who never joined


class StatusCb(Tappable, CallbackData, prefix="z1"):
    """/status: one screen, "Details" per section, an item's full title."""

    action: StatusAction
    num: int = 0
    key: str = ""


class ReadyCb(Tappable, CallbackData, prefix="y1"):
    """ "My report is ready" on a session reminder to a reporter: `num` is the session."""

    num: int
