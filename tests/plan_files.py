"""Real Word files of a school's plan, made here with python-docx in the layouts schools use."""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx

# A Russian plan's *Сроки* in the tests' own words (not the seed's): all but two are read.
RU_TIMINGS = (
    "сентябрь", "ежемесячно", "в течение года", "1 раз в четверть", "по плану",
    "сентябрь-октябрь", "до 25 числа", "по мере необходимости", "октябрь, март",
    "еженедельно", "ежедневно", "в течение учебного года", "декабрь", "май",
    "1 раз в месяц", "перед каникулами", "II четверть", "в конце каждой четверти",
    "ноябрь", "январь", "февраль", "апрель", "по запросу", "постоянно",
    "при выявлении", "2 неделя октября", "ежемесячно до 25 числа", "систематически",
    "до 15.09", "в начале учебного года", "в конце учебного года", "по графику",
    "в каникулы", "2 раза в год", "сентябрь – май", "1-я неделя сентября",
    "по итогам четверти", "март", "с момента постановки на учёт", "ежеквартально",
    "в дни проведения акций",  # not understood: listed for the admin
    "по окончании мероприятий",  # not understood
)  # fmt: skip
RU_WHO = (
    "Социальный педагог Иванова А.А.",
    "Классные руководители 1-11 кл.",
    "ЗДВР Петрова М.К., психолог",
    "Инспектор ПДН Сейтқали Б.Б.",
    "Родительский комитет",
    "Педагог-психолог Смирнова О.В.",
    "Члены совета",
)


def _save(document: docx.document.Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _section_row(table: docx.table.Table, text: str) -> None:
    row = table.add_row()
    merged = row.cells[0].merge(row.cells[-1])
    merged.text = text


def kk_plan(items_per_section: int = 3) -> bytes:
    """The seed's layout in Word: № | Іс-шара | Мерзімі | Жауапты; sections merged across;
    the sessions in the same table."""
    document = docx.Document()
    document.add_paragraph("Құқықбұзушылықтың алдын алу кеңесінің 2027-2028 оқу жылына "
                           "арналған жұмыс жоспары")  # fmt: skip
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("№", "Іс-шара", "Мерзімі", "Жауапты"),
                          strict=True):  # fmt: skip
        cell.text = text
    whens = ("қыркүйек", "Жыл бойы", "Ай сайын", "Апта сайын", "Қазан \nСәуір", "тоқсан сайын")
    whos = ("Әлеуметтік педагог Амангелді С.М.\n1-11кл.жетек.", "ДТЖЖО Муканова А.Ж.",
            "Психолог Рахимжанова А.Р.", "Кеңес мүшелері")  # fmt: skip
    for s, title in enumerate(("Ұйымдастыру жұмыстары", "Алдын алу жұмыстары"), start=1):
        _section_row(table, f"{s}. {title}")
        for i in range(1, items_per_section + 1):
            row = table.add_row().cells
            row[0].text = f"{s}.{i}"
            row[1].text = f"Жұмыс {s}.{i}: 2027-2028 оқу жылына арналған іс-шара"
            row[2].text = whens[(s * 7 + i) % len(whens)]
            row[3].text = whos[(s + i) % len(whos)]
    row = table.add_row().cells
    row[0].text = f"{s}.{items_per_section + 1}"
    row[1].text = "Дәрістер:\n1. Дәріс «Терроризм»\n2. Дәріс «Жауапкершілік»"
    row[2].text = "Қазан\nҚараша"
    row[3].text = "Хромтау аудандық ІІБ қызметкері\nИнспектор Мақсат Д.К."
    _section_row(table, "3. Кеңес отырыстарының тақырыптары")
    for n, when in enumerate(("29 тамыз", "қыркүйек", "қазан"), start=1):
        row = table.add_row().cells
        row[0].text = str(n)
        row[1].text = f"№{n} отырыс:\n1. Бірінші мәселе {n}\n2. Екінші мәселе {n}"
        row[2].text = when
        row[3].text = "Кеңес төрағасы Ешкеева А.Т.\nАмангелді С.М."
    return _save(document)


def ru_plan(timings: Sequence[str] = RU_TIMINGS) -> bytes:
    """A Russian plan: columns in another order with an extra one, a timing merged down over
    two rows, sections merged across, and a second table of sessions whose agenda points are
    rows of their own, the session's number merged down."""
    document = docx.Document()
    document.add_paragraph("План работы Совета профилактики правонарушений на 2027-2028 "
                           "учебный год")  # fmt: skip
    table = document.add_table(rows=1, cols=5)
    heads = ("№ п/п", "Мероприятие", "Ответственные", "Сроки", "Отметка о выполнении")
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = text
    _section_row(table, "1. Организационная работа")
    for i, when in enumerate(timings, start=1):
        if i == 21:
            _section_row(table, "2. Профилактическая работа")
        section = 1 if i <= 20 else 2
        number = i if i <= 20 else i - 20
        row = table.add_row().cells
        row[0].text = f"{section}.{number}"
        row[1].text = f"Мероприятие {i}: работа с учащимися «группы риска»"
        row[2].text = RU_WHO[i % len(RU_WHO)]
        row[3].text = when
        row[4].text = ""
    # two more rows share one timing cell, merged down
    for k in (1, 2):
        row = table.add_row().cells
        row[0].text = f"2.{len(timings) - 20 + k}"
        row[1].text = f"Рейд «Подросток» {k}"
        row[2].text = "ЗДВР Петрова М.К."
    table.rows[-2].cells[3].merge(table.rows[-1].cells[3]).text = "ежемесячно"
    document.add_paragraph("Тематика заседаний Совета профилактики")
    sessions = document.add_table(rows=1, cols=4)
    for cell, text in zip(sessions.rows[0].cells, ("№", "Повестка заседания", "Сроки",
                                                   "Докладчики"), strict=True):  # fmt: skip
        cell.text = text
    for n, month in enumerate(("август", "сентябрь", "октябрь"), start=1):
        first = sessions.add_row().cells
        second = sessions.add_row().cells
        first[0].merge(second[0]).text = f"Заседание №{n}"
        first[1].text = f"1. Вопрос первый заседания {n}"
        second[1].text = f"2. Вопрос второй заседания {n}"
        first[2].merge(second[2]).text = month if n > 1 else "28.08"
        first[3].text = "Председатель совета Ахметова Г.С."
        second[3].text = "Инспектор ПДН"
    return _save(document)


def big_plan(items: int = 300) -> bytes:
    """A plan of `items` items in 10 sections, Kazakh headings."""
    document = docx.Document()
    document.add_paragraph("Жұмыс жоспары 2027-2028")
    table = document.add_table(rows=1, cols=4)
    for cell, text in zip(table.rows[0].cells, ("№", "Мазмұны", "Орындау уақыты",
                                                "Жауаптылар"), strict=True):  # fmt: skip
        cell.text = text
    whens = ("қыркүйек", "Жыл бойы", "Ай сайын", "Апта сайын", "2 апта қазан", "Күн сайын")
    per = items // 10
    for s in range(1, 11):
        _section_row(table, f"{s}. Бөлім {s}")
        for i in range(1, per + 1):
            row = table.add_row().cells
            row[0].text = f"{s}.{i}"
            row[1].text = f"Іс-шара {s}.{i}"
            row[2].text = whens[i % len(whens)]
            row[3].text = "Әлеуметтік педагог Амангелді С.М." if i % 2 else "Кеңес мүшелері"
    return _save(document)
