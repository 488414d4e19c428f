"""FSM states, in one place."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffForm(StatesGroup):
    roles = State()  # toggling roles of an existing person (data: person, roles)
    class_name = State()  # typing the class of a person (data: person)
    new_name = State()  # /invite: the new person's name
    new_roles = State()  # /invite: toggling the new person's roles (data: name, roles)


class TaskForm(StatesGroup):
    cant = State()  # "Can't": the reason (data: occ, chat, message)
    comment = State()  # a comment on a task (data: occ, chat, message)
