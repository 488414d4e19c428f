"""FSM states, in one place."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class StaffForm(StatesGroup):
    roles = State()  # toggling roles of an existing person (data: person, roles)
    class_name = State()  # typing the class of a person (data: person)
    new_name = State()  # /invite: the new person's name
    new_roles = State()  # /invite: toggling the new person's roles (data: name, roles)
    fill = State()  # a vacancy's real person: their name (data: person)


class TaskForm(StatesGroup):
    cant = State()  # "Can't": the reason (data: occ, chat, message)
    comment = State()  # a comment on a task (data: occ, chat, message)
    checkin_note = State()  # why days of a routine duty were missed (data: ref, week, mask, ...)


class AssignForm(StatesGroup):
    ref = State()  # typing the plan item's number
    people = State()  # toggling who answers for it (data: ref, people)


class SessionForm(StatesGroup):
    day = State()  # the session's date, by button or DD.MM (data: num, extra)
    time = State()  # HH:MM (data: num, day)
    place = State()  # the place, or skip (data: num, day, time)
    agenda = State()  # an extraordinary session's agenda (data: day, time, place)
    # Recording: where typed text goes (data: num); the dialogue itself is the draft in the
    # database (`bot.services.recording`), so it survives a restart.
    recording = State()


class IncidentForm(StatesGroup):
    student = State()  # /incident: picking the student (a class tap or a typed name)
    new_student = State()  # typing a new student's name and class
    category = State()
    text = State()  # the note (text, or a file with a caption)
    confirm = State()  # when + save; more text here is appended (long notes come in parts)
    date = State()  # typing the date it happened
    edit = State()  # the corrected text of a note (data: incident)


class StudentForm(StatesGroup):
    search = State()  # /students: a name or a class
    family = State()  # the family notes of a card (data: student, ver)
    event_text = State()  # a talk's or home visit's text (data: student, kind)
    event_date = State()  # its day, by button or DD.MM (data: student, kind, text)
    birth_date = State()  # the date of birth, DD.MM.YYYY (data: student, ver)


class PlanForm(StatesGroup):
    review = State()  # an imported plan waits for fixes and a confirm (data: name, data)
    date = State()  # typing DD.MM for "once on a date" (data: ref, live, and the review's)


class DocumentForm(StatesGroup):
    student = State()  # /documents, a case file: typing a student's name or class
