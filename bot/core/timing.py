"""Timing rules: the structured reading of the plan's *When* column (Орындау уақыты).

A *When* text reads as one or more rules ("Қыркүйек, жыл бойы" is a month and all year).
`parse_when` turns a phrase into rules; an unknown phrase raises `TimingError`, never a default.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class _Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FixedDate(_Rule):
    """A day of the year, e.g. "29 тамыз" (mapped onto the configured school year)."""

    kind: Literal["fixed_date"] = "fixed_date"
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)


class Months(_Rule):
    """Within one or more calendar months, e.g. "қыркүйек" or "Қазан Сәуір"."""

    kind: Literal["months"] = "months"
    months: tuple[Annotated[int, Field(ge=1, le=12)], ...] = Field(min_length=1)


class WeekOfMonth(_Rule):
    """The n-th week of a month, e.g. "2 апта қазан" (week 1 holds the month's first day)."""

    kind: Literal["week_of_month"] = "week_of_month"
    week: int = Field(ge=1, le=5)
    month: int = Field(ge=1, le=12)


class Daily(_Rule):
    """Every school day ("Күн сайын")."""

    kind: Literal["daily"] = "daily"


class Weekly(_Rule):
    """Every school week ("Апта сайын")."""

    kind: Literal["weekly"] = "weekly"


class Monthly(_Rule):
    """Every month ("Ай сайын"), optionally plus extraordinary occasions ("кезектен тыс");
    `by_day`: due by that day of each month ("ежемесячно до 25 числа")."""

    kind: Literal["monthly"] = "monthly"
    extraordinary: bool = False
    by_day: int | None = Field(default=None, ge=1, le=31)

    @model_serializer(mode="wrap")
    def _without_unset_day(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("by_day") is None:
            data.pop("by_day", None)  # plan files written before `by_day` stay as they were
        return data


class Quarterly(_Rule):
    """Once a quarter ("1 раз в четверть", "тоқсан сайын"); `quarters`: only those (empty:
    each quarter of the calendar)."""

    kind: Literal["quarterly"] = "quarterly"
    quarters: tuple[Annotated[int, Field(ge=1, le=4)], ...] = ()


class AllYear(_Rule):
    """Ongoing all year ("Жыл бойы"): no deadline; reported at the half-year and year-end."""

    kind: Literal["all_year"] = "all_year"
    by_timetable: bool = False  # "кестеге сәйкес": according to the timetable


class BeforeHolidays(_Rule):
    """Before each school holiday ("Каникул алдында")."""

    kind: Literal["before_holidays"] = "before_holidays"


class PerStudent(_Rule):
    """Per registered student, from registration until the case is closed."""

    kind: Literal["per_student"] = "per_student"


class WhenNeeded(_Rule):
    """When needed / when a case is found: no reminders."""

    kind: Literal["when_needed"] = "when_needed"


class Missing(_Rule):
    """The *When* cell is empty (item 2.4): flagged so an admin sets it."""

    kind: Literal["missing"] = "missing"


TimingRule = Annotated[
    FixedDate
    | Months
    | WeekOfMonth
    | Daily
    | Weekly
    | Monthly
    | Quarterly
    | AllYear
    | BeforeHolidays
    | PerStudent
    | WhenNeeded
    | Missing,
    Field(discriminator="kind"),
]


class TimingError(ValueError):
    """A *When* phrase that cannot be read."""

    def __init__(self, text: str, detail: str) -> None:
        super().__init__(f"unknown timing phrase {text!r}: {detail}")
        self.text = text
        self.detail = detail


# --- Reading a phrase -----------------------------------------------------------------------
#
# The text is normalised (look-alike Latin letters to Cyrillic, lower case, Kazakh letters
# folded to their plain Cyrillic base: қ→к, ү→у, і→и ...) and cut into tokens: numbers, words
# and the separators that matter (a dash between two months is a range). The tokens are then
# read left to right: a number starts a date or a week of a month, a month word joins the list
# of months, and any other word must start one of the known phrases below (longest first).
# Whatever is left over is an error: an unknown phrase never becomes a default.
#
# Decisions:
# - "Жыл бойы\nАнықталған жағдайда." reads as [AllYear, WhenNeeded]: the work goes on all year
#   and is acted on when a case is found; both are kept, in the order written.
# - "Каникул алдында (жыл бойы)" reads as [BeforeHolidays]: "all year" only says that every
#   holiday of the year counts, which BeforeHolidays already means.
# - "кестеге сәйкес" (according to the timetable) marks the AllYear rule as by_timetable; on its
#   own it means AllYear(by_timetable=True).
# - "қажет болса кезектен тыс" (extraordinary, when needed) marks the Monthly rule as
#   extraordinary; without a Monthly rule it means WhenNeeded.
# - Months written one after another ("Қазан Сәуір", "Қыркүйек, ...") gather into one Months
#   rule in the order written; "қазан - сәуір" (a dash between two months) is the range.

# Latin letters that look like Cyrillic ones, as typed by mistake ("Caзан", "Cәуiр").
_LOOKALIKES = str.maketrans(
    "AaBCcEeHKkMOoPpTXxYyIiə",
    "АаВСсЕеНКкМОоРрТХхУуІіә",
)
# Kazakh letters folded to their plain Cyrillic base, so that "Қыркуйек" reads as "Қыркүйек".
_FOLD = str.maketrans("әғқңөұүһіё", "агкноуухие")
_DASHES = "-‐‑‒–—―−"

_MONTHS_KK = {
    1: "қаңтар",
    2: "ақпан",
    3: "наурыз",
    4: "сәуір",
    5: "мамыр",
    6: "маусым",
    7: "шілде",
    8: "тамыз",
    9: "қыркүйек",
    10: "қазан",
    11: "қараша",
    12: "желтоқсан",
}
# Kazakh case endings (folded): "қазанда", "қыркүйектің", "қарашаға", "тамыздан", "қазаны" ...
_KK_ENDINGS = (
    "", "да", "де", "та", "те", "нда", "нде", "га", "ге", "ка", "ке", "на", "не",
    "нын", "нин", "дын", "дин", "тын", "тин", "нан", "нен", "дан", "ден", "тан", "тен",
    "ы", "и", "ны", "ни", "ды", "ди", "ты", "ти", "ында", "инде", "дагы", "дегы", "тагы", "тегы",
    "мен", "бен", "пен",
)  # fmt: skip
_MONTHS_RU = {
    1: ("январ", "ьяеюем"),
    2: ("феврал", "ьяеюем"),
    3: ("март", "аеуом"),
    4: ("апрел", "ьяеюем"),
    5: ("ма", "йяею"),
    6: ("июн", "ьяеюем"),
    7: ("июл", "ьяеюем"),
    8: ("август", "аеуом"),
    9: ("сентябр", "ьяеюем"),
    10: ("октябр", "ьяеюем"),
    11: ("ноябр", "ьяеюем"),
    12: ("декабр", "ьяеюем"),
}
_RU_ENDINGS = ("", "ь", "я", "е", "ю", "ем", "а", "у", "ом", "й")


def _fold(word: str) -> str:
    return word.translate(_LOOKALIKES).casefold().translate(_FOLD)


def _month_forms() -> list[tuple[str, tuple[str, ...], int]]:
    """(folded stem, allowed endings, month): Kazakh stems first, then Russian ones."""
    forms: list[tuple[str, tuple[str, ...], int]] = [
        (_fold(stem), _KK_ENDINGS, month) for month, stem in _MONTHS_KK.items()
    ]
    for month, (stem, letters) in _MONTHS_RU.items():
        endings = tuple(e for e in _RU_ENDINGS if e == "" or e[0] in letters)
        if stem == "ма":  # май, мая, мае, маю: the stem alone is no word
            endings = ("й", "я", "е", "ю")
        forms.append((stem, endings, month))
    return forms


_MONTH_FORMS = _month_forms()


def _within_one_edit(a: str, b: str) -> bool:
    """True if `a` becomes `b` with at most one insertion, deletion or substitution."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


def _month_of(word: str) -> int | None:
    """The month a folded word names, with its case ending; one typo allowed in long stems."""
    for stem, endings, month in _MONTH_FORMS:
        if word.startswith(stem) and word[len(stem) :] in endings:
            return month
    # One typo: any one edit in a long stem ("Қыркүек"), one wrong letter in a 5-letter one
    # ("Caзан", where the Latin C reads as С); shorter stems ("март", "июн") must be exact.
    for stem, endings, month in _MONTH_FORMS:
        if len(stem) < 5:
            continue
        for ending in endings:
            if not word.endswith(ending):
                continue
            base = word[: len(word) - len(ending)]
            if (len(stem) >= 6 or len(base) == len(stem)) and _within_one_edit(base, stem):
                return month
    return None


# Phrases, in their natural spelling; a word ending in "*" matches any word it starts.
_DAILY, _WEEKLY, _MONTHLY, _ALL_YEAR, _TIMETABLE = "daily", "weekly", "monthly", "year", "table"
_HOLIDAYS, _PER_STUDENT, _NEEDED, _EXTRA, _WEEK, _FILLER = (
    "holidays",
    "student",
    "needed",
    "extra",
    "week",
    "filler",
)
_QUARTERLY, _QUARTER, _YEAR_START, _YEAR_END, _TIMES, _DAY_OF = (
    "quarterly",
    "quarter",
    "year_start",
    "year_end",
    "times",
    "day_of",
)
_PHRASES: dict[str, tuple[str, ...]] = {
    _DAILY: ("күн сайын", "күнде", "күнделікті", "ежедневно", "каждый день", "ежедневн*"),
    _WEEKLY: (
        "апта сайын",
        "әр апта*",
        "аптасына",
        "еженедельно",
        "каждую неделю",
        "каждая неделя",
        "в неделю",
        "по понедельник*",
        "по вторник*",
        "по сред*",
        "по четверг*",
        "по пятниц*",
        "по суббот*",
    ),
    _MONTHLY: (
        "ай сайын",
        "әр ай*",
        "айына",
        "ежемесячно",
        "каждый месяц",
        "каждого месяца",
        "в месяц",
    ),
    _QUARTERLY: (
        "тоқсан сайын",
        "әр тоқсан*",
        "тоқсанына",
        "тоқсан соңында",
        "тоқсанның соңында",
        "тоқсан қорытындысы бойынша",
        "ежеквартально",
        "каждую четверть",
        "каждой четверти",
        "в четверть",
        "в конце четверти",
        "в конце каждой четверти",
        "по итогам четверти",
        "по итогам каждой четверти",
        "по итогам четвертей",
        "по четвертям",
    ),
    _ALL_YEAR: (
        "жыл бой*",
        "оқу жылы бой*",
        "үнемі",
        "жүйелі түрде",
        "жылына",
        "в течение год*",
        "в течение учебного год*",
        "в течение всего учебного год*",
        "в течение всего год*",
        "весь год",
        "весь учебный год",
        "постоянно",
        "систематически",
        "в год",
        "в полугодие",
        "по полугодиям",
        "по итогам полугодия",
        "по итогам полугодий",
        "в конце полугодия",
    ),
    _TIMETABLE: (
        "кестеге сәйкес",
        "кесте бойынша",
        "жоспар бойынша",
        "жоспарға сәйкес",
        "жеке жоспар бойынша",
        "по график*",
        "согласно график*",
        "по расписани*",
        "согласно расписани*",
        "по плану",
        "по плану работы",
        "по отдельному плану",
        "согласно плану",
        "по плану школы",
    ),
    _HOLIDAYS: (
        "каникул алдында",
        "каникулдар алдында",
        "каникул қарсаңында",
        "каникул кезінде",
        "перед каникулами",
        "накануне каникул",
        "в каникулы",
        "во время каникул",
        "в период каникул",
        "в каникулярное время",
    ),
    _PER_STUDENT: (
        "есепке алынған күннен бастап",
        "есепке алынғаннан бастап",
        "есепке қойылған күннен бастап",
        "түзеліп кеткенінше",
        "түзелгенінше",
        "с момента постановки на уч*",
        "с постановки на уч*",
        "до снятия с уч*",
        "до исправления",
    ),
    _NEEDED: (
        "қажет болған жағдайда",
        "қажет болса",
        "қажеттілігіне қарай",
        "қажетіне қарай",
        "қажеттілік бойынша",
        "сұраныс бойынша",
        "анықталған жағдайда",
        "по необходимости",
        "при необходимости",
        "по мере необходимости",
        "в случае необходимости",
        "по мере выявления",
        "при выявлении",
        "в случае выявления",
        "по запросу",
        "по мере поступления",
        "по факту",
        "по ситуации",
        "по требованию",
    ),
    _EXTRA: (
        "қажет болса кезектен тыс",
        "кезектен тыс",
        "при необходимости внеочередн*",
        "внеочередн*",
    ),
    _YEAR_START: (
        "оқу жылының басында",
        "жыл басында",
        "в начале учебного года",
        "в начале года",
        "начало учебного года",
        "начало года",
    ),
    _YEAR_END: (
        "оқу жылының соңында",
        "жыл соңында",
        "в конце учебного года",
        "в конце года",
        "конец учебного года",
        "конец года",
    ),
    _WEEK: ("апта*", "недел*"),
    _QUARTER: ("четверт*", "тоқсан*"),
    _TIMES: ("раз", "раза", "рет"),
    _DAY_OF: ("числа", "число", "числу"),
    # Words that carry no meaning of their own here: "қазан айы", "в октябре", "и", "до".
    _FILLER: (
        "айы",
        "айында",
        "айда",
        "в",
        "во",
        "и",
        "және",
        "мен",
        "до",
        "к",
        "ко",
        "не",
        "дейін",
        "г",
        "года",
        "жылы",
        "ж",
    ),
}
_ROMAN = {"и": 1, "ии": 2, "иии": 3, "иv": 4}  # I, II, III, IV after folding (I reads as І)
# Ordinal endings after a number: "2-ші", "1-апта", "2-я неделя", "3-й".
_ORDINAL_ENDINGS = {
    _fold(e) for e in ("ші", "шы", "інші", "ыншы", "нші", "ншы", "я", "ая", "й", "ой", "ый", "ий")
}
_ORDINAL_WORDS = {
    _fold(w): n
    for n, words in {
        1: ("бірінші", "первая", "первой", "первую", "первый"),
        2: ("екінші", "вторая", "второй", "вторую"),
        3: ("үшінші", "третья", "третьей", "третью"),
        4: ("төртінші", "четвертая", "четвертой", "четвертую"),
        5: ("бесінші", "пятая", "пятой", "пятую", "последняя", "последней", "последнюю"),
    }.items()
    for w in words
}


def _phrase_table() -> list[tuple[tuple[str, ...], str]]:
    table = [
        (tuple(_fold(w) for w in phrase.split()), meaning)
        for meaning, phrases in _PHRASES.items()
        for phrase in phrases
    ]
    table.sort(key=lambda entry: -len(entry[0]))  # longest first
    return table


_PHRASE_TABLE = _phrase_table()


def _word_matches(word: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern or (len(pattern) >= 6 and _within_one_edit(word, pattern))


class _Token:
    __slots__ = ("dash_before", "kind", "number", "raw", "word")

    def __init__(self, kind: str, raw: str, dash_before: bool) -> None:
        self.kind = kind  # "num" or "word"
        self.raw = raw
        self.word = _fold(raw)
        self.number = int(raw) if kind == "num" else 0
        self.dash_before = dash_before


_TOKEN_RE = re.compile(rf"(?P<num>\d+)|(?P<word>[^\W\d_]+)|(?P<dash>[{_DASHES}])|(?P<other>\S)")


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    dash = False
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        if kind == "dash":
            dash = True
            continue
        if kind == "other":
            char = match.group()
            if char not in ",.;:()[]/«»\"'·•№":
                raise TimingError(text, f"unexpected character {char!r}")
            dash = False
            continue
        tokens.append(_Token(str(kind), match.group(), dash))
        dash = False
    return tokens


def _days_in(month: int) -> int:
    return 29 if month == 2 else 30 if month in (4, 6, 9, 11) else 31


class _Reader:
    """Reads the tokens of one phrase into rules, left to right."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.rules: list[TimingRule] = []
        self.months: list[int] = []
        self.months_at: int | None = None  # where the Months rule goes among the rules
        self.flags: set[str] = set()
        self.last_month_index = -2  # index of the token that last added a plain month
        self.by_day: int | None = None  # "до 25 числа"

    def fail(self, detail: str) -> TimingError:
        return TimingError(self.text, detail)

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def month_at(self, offset: int = 0) -> int | None:
        token = self.peek(offset)
        return _month_of(token.word) if token is not None and token.kind == "word" else None

    def phrase_at(self) -> tuple[str, int] | None:
        for words, meaning in _PHRASE_TABLE:
            candidate = self.tokens[self.pos : self.pos + len(words)]
            if len(candidate) == len(words) and all(
                token.kind == "word" and _word_matches(token.word, pattern)
                for token, pattern in zip(candidate, words, strict=True)
            ):
                return meaning, len(words)
        return None

    def add(self, rule: TimingRule) -> None:
        if rule not in self.rules:
            self.rules.append(rule)

    def add_months(self, *months: int) -> None:
        if self.months_at is None:
            self.months_at = len(self.rules)
        for month in months:
            if month not in self.months:
                self.months.append(month)

    def ordinal(self) -> int | None:
        """A number or an ordinal word ("2", "2-ші", "екінші") at the position, consumed."""
        token = self.peek()
        if token is None:
            return None
        if token.kind == "word" and token.word in _ORDINAL_WORDS:
            self.pos += 1
            return _ORDINAL_WORDS[token.word]
        if token.kind != "num":
            return None
        self.pos += 1
        after = self.peek()
        if after is not None and after.kind == "word" and after.word in _ORDINAL_ENDINGS:
            self.pos += 1
        return token.number

    def is_week_word(self) -> bool:
        token = self.peek()
        return (
            token is not None
            and token.kind == "word"
            and any(_word_matches(token.word, p) for p in _PHRASES[_WEEK])
        )

    def skip_fillers(self) -> None:
        while (token := self.peek()) is not None and token.kind == "word":
            if token.word not in _FILLERS:
                return
            self.pos += 1

    def read(self) -> list[TimingRule]:
        while self.pos < len(self.tokens):
            self.read_one()
        return self.finish()

    def is_word(self, meaning: str, offset: int = 0) -> bool:
        token = self.peek(offset)
        return (
            token is not None
            and token.kind == "word"
            and any(_word_matches(token.word, p) for p in _SINGLE_WORDS[meaning])
        )

    def read_one(self) -> None:
        token = self.tokens[self.pos]
        if token.kind == "num" or token.word in _ORDINAL_WORDS:
            self.read_number()
            return
        if token.word in _ROMAN and self.is_word(_QUARTER, 1):  # "II четверть"
            self.pos += 2
            self.add_quarter(_ROMAN[token.word])
            return
        month = self.month_at()
        if month is not None:
            self.read_month(month)
            return
        found = self.phrase_at()
        if found is None:
            raise self.fail(f"cannot read {token.raw!r}")
        meaning, length = found
        if meaning == _WEEK:
            raise self.fail(f"{token.raw!r} needs a number and a month, e.g. '2 апта қазан'")
        if meaning == _QUARTER:
            raise self.fail(f"{token.raw!r} needs a number, e.g. '2 четверть'")
        self.pos += length
        if meaning in (_FILLER, _TIMES, _DAY_OF):
            return
        if meaning == _YEAR_START:
            self.add_months(9)
            return
        if meaning == _YEAR_END:
            self.add_months(5)
            return
        if meaning == _DAILY:
            self.add(Daily())
        elif meaning == _WEEKLY:
            self.add(Weekly())
        elif meaning == _MONTHLY:
            self.add(Monthly())
        elif meaning == _QUARTERLY:
            self.add(Quarterly())
        elif meaning == _ALL_YEAR:
            self.add(AllYear())
        elif meaning == _HOLIDAYS:
            self.add(BeforeHolidays())
        elif meaning == _PER_STUDENT:
            self.add(PerStudent())
        elif meaning == _NEEDED:
            self.add(WhenNeeded())
        else:  # _TIMETABLE, _EXTRA: they qualify another rule, see finish()
            self.flags.add(meaning)

    def add_quarter(self, number: int) -> None:
        if not 1 <= number <= 4:
            raise self.fail(f"a school year has quarters 1 to 4, not {number}")
        for i, rule in enumerate(self.rules):
            if isinstance(rule, Quarterly) and rule.quarters:
                if number not in rule.quarters:
                    self.rules[i] = Quarterly(quarters=(*rule.quarters, number))
                return
        self.add(Quarterly(quarters=(number,)))

    def read_number(self) -> None:
        start = self.tokens[self.pos]
        if start.kind == "num" and len(start.raw) == 4:
            self.pos += 1  # a year ("2023", "15.09.2023"): the plan is mapped onto this year
            return
        number = self.ordinal()
        assert number is not None
        if self.is_word(_TIMES):  # "1 раз в месяц", "айына 1 рет": the count goes
            self.pos += 1
            return
        if self.is_word(_DAY_OF):  # "до 25 числа": by that day of each month
            self.pos += 1
            if not 1 <= number <= 31:
                raise self.fail(f"there is no day {number} in a month")
            self.by_day = number
            return
        if self.is_word(_QUARTER):  # "2 четверть", "1-тоқсан"
            self.pos += 1
            self.add_quarter(number)
            return
        after = self.peek()
        if start.kind == "num" and after is not None and after.kind == "num":
            self.read_numeric_date(number, after.number)  # "15.09", "15.09.2023"
            return
        self.skip_fillers()
        if self.is_week_word():
            self.pos += 1
            self.skip_fillers()
            month = self.month_at()
            if month is None:
                raise self.fail(f"week {number} of which month? (after {start.raw!r})")
            self.pos += 1
            if not 1 <= number <= 5:
                raise self.fail(f"a month has weeks 1 to 5, not {number}")
            self.add(WeekOfMonth(week=number, month=month))
            return
        month = self.month_at()
        if month is None or start.kind != "num":
            raise self.fail(f"{start.raw!r} must be followed by a month or a week ('апта')")
        self.pos += 1
        if not 1 <= number <= _days_in(month):
            raise self.fail(f"there is no day {number} in month {month}")
        self.add(FixedDate(month=month, day=number))

    def read_numeric_date(self, day: int, month: int) -> None:
        self.pos += 1
        if not 1 <= month <= 12:
            raise self.fail(f"there is no month {month}")
        if not 1 <= day <= _days_in(month):
            raise self.fail(f"there is no day {day} in month {month}")
        year = self.peek()
        if year is not None and year.kind == "num" and len(year.raw) in (2, 4):
            self.pos += 1
        self.add(FixedDate(month=month, day=day))

    def read_month(self, month: int) -> None:
        index = self.pos
        token = self.tokens[index]
        self.pos += 1
        # "қазанның 2-аптасы": the month first, then the week.
        mark = self.pos
        self.skip_fillers()
        if (after := self.peek()) is not None and after.kind == "num":
            number = self.ordinal()
            if number is not None and self.is_week_word():
                self.pos += 1
                if not 1 <= number <= 5:
                    raise self.fail(f"a month has weeks 1 to 5, not {number}")
                self.add(WeekOfMonth(week=number, month=month))
                return
        self.pos = mark
        self.last_month_index, previous = index, self.last_month_index
        if token.dash_before and previous == index - 1:  # "қазан - сәуір": the range
            first = self.months[-1]
            self.add_months(*((first - 1 + i) % 12 + 1 for i in range((month - first) % 12 + 1)))
            return
        self.add_months(month)

    def finish(self) -> list[TimingRule]:
        rules = list(self.rules)
        if self.months:
            assert self.months_at is not None
            rules.insert(self.months_at, Months(months=tuple(self.months)))
        if _TIMETABLE in self.flags:
            if AllYear() in rules:
                rules[rules.index(AllYear())] = AllYear(by_timetable=True)
            else:
                rules.append(AllYear(by_timetable=True))
        if _EXTRA in self.flags:
            if Monthly() in rules:
                rules[rules.index(Monthly())] = Monthly(extraordinary=True)
            elif WhenNeeded() not in rules:
                rules.append(WhenNeeded())
        if self.by_day is not None:
            found = [i for i, r in enumerate(rules) if isinstance(r, Monthly)]
            if found:
                at = found[0]
                rules[at] = rules[at].model_copy(update={"by_day": self.by_day})
            else:
                rules.append(Monthly(by_day=self.by_day))
        if BeforeHolidays() in rules and AllYear() in rules:
            rules.remove(AllYear())
        if not rules:
            raise self.fail("no timing found")
        return rules


_FILLERS = {_fold(w) for w in _PHRASES[_FILLER]}
_SINGLE_WORDS = {
    meaning: tuple(_fold(p) for p in _PHRASES[meaning]) for meaning in (_QUARTER, _TIMES, _DAY_OF)
}


def parse_when(text: str) -> list[TimingRule]:
    """Read a *When* text (Kazakh or Russian) into rules. Raises `TimingError`.

    An empty text (only spaces or punctuation) is `[Missing()]`: the cell was left empty.
    """
    normal = unicodedata.normalize("NFC", text)
    if not any(ch.isalnum() for ch in normal):
        return [Missing()]
    return _Reader(normal).read()


# --- Saying it back in plain words (for `plan check` and the admin) -------------------------

_MONTH_NAMES_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ORDINALS_EN = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th"}


def describe_rule(rule: TimingRule) -> str:
    """One rule in plain English, e.g. "in the 2nd week of October"."""
    match rule:
        case FixedDate(month=month, day=day):
            return f"on {day} {_MONTH_NAMES_EN[month - 1]}"
        case Months(months=months):
            names = [_MONTH_NAMES_EN[m - 1] for m in months]
            return "in " + (
                names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            )
        case WeekOfMonth(week=week, month=month):
            return f"in the {_ORDINALS_EN[week]} week of {_MONTH_NAMES_EN[month - 1]}"
        case Daily():
            return "every school day"
        case Weekly():
            return "every school week"
        case Monthly(extraordinary=extraordinary, by_day=by_day):
            return (
                "every month"
                + (f", by day {by_day}" if by_day else "")
                + (", and extraordinary sessions when needed" if extraordinary else "")
            )
        case Quarterly(quarters=quarters):
            if not quarters:
                return "once a quarter"
            return "in quarter " + ", ".join(str(q) for q in quarters)
        case AllYear(by_timetable=by_timetable):
            return "all year (ongoing)" + (", according to the timetable" if by_timetable else "")
        case BeforeHolidays():
            return "before each school holiday"
        case PerStudent():
            return (
                "for each registered student, from registration until the behaviour is corrected"
            )
        case WhenNeeded():
            return "when needed (no reminders)"
        case Missing():
            return "NOT GIVEN (the When cell is empty; an admin sets it)"
    raise AssertionError(rule)  # pragma: no cover


def describe_timing(rules: Sequence[TimingRule]) -> str:
    """The rules of one *When* text in plain English, joined with "; "."""
    return "; ".join(describe_rule(rule) for rule in rules)
