"""Every text the bot says, in Kazakh (first) and Russian.

`t(lang, key, **values)` formats a text; `tp(lang, key, n, **values)` picks the plural form by
Babel's CLDR rules (Russian: one / few / many). A test checks that every key has both languages
and the same placeholders in each. Values that users typed must be escaped by the caller
(`aiogram.html.quote`) before they reach an HTML text.
"""

from __future__ import annotations

from functools import cache
from typing import Final

from babel import Locale

LANGUAGES: Final = ("kk", "ru")
DEFAULT_LANGUAGE: Final = "kk"

Plural = dict[str, str]  # CLDR category -> text
Entry = dict[str, str | Plural]

TEXTS: dict[str, Entry] = {
    # --- the front door -------------------------------------------------------------------
    "stranger": {
        "kk": "Кешіріңіз, Kenes тек мектеп қызметкерлеріне арналған. Қосылу үшін мектеп "
        "әкімшісінен шақыру сілтемесін сұраңыз.",
        "ru": "Извините, Kenes работает только для сотрудников школы. Чтобы подключиться, "
        "попросите у администратора школы ссылку-приглашение.",
    },
    "group_private_only": {
        "kk": "Мен тек жеке хабарламаларда жұмыс істеймін: маған жеке жазыңыз. Бұл топта "
        "ешқандай мәлімет жарияланбайды.",
        "ru": "Я работаю только в личных сообщениях: напишите мне лично. В этой группе я "
        "ничего не публикую.",
    },
    "invite_ok": {
        "kk": "Қош келдіңіз, {name}! Сіз Kenes-ке қосылдыңыз.\nРөліңіз: {roles}.{klass}\n\n"
        "Жұмыстарыңыз бен еске салулар осында келеді. Көмек: /help",
        "ru": "Добро пожаловать, {name}! Вы подключены к Kenes.\nВаша роль: {roles}.{klass}\n\n"
        "Задачи и напоминания будут приходить сюда. Помощь: /help",
    },
    "invite_klass": {"kk": "\nСыныбыңыз: {klass}.", "ru": "\nВаш класс: {klass}."},
    "invite_used": {
        "kk": "Бұл шақыру сілтемесі бұрын қолданылған. Әкімшіден жаңасын сұраңыз.",
        "ru": "Эта ссылка-приглашение уже использована. Попросите у администратора новую.",
    },
    "invite_expired": {
        "kk": "Бұл шақырудың мерзімі өтіп кеткен. Әкімшіден жаңасын сұраңыз.",
        "ru": "Срок действия этого приглашения истёк. Попросите у администратора новое.",
    },
    "invite_revoked": {
        "kk": "Бұл шақыру күшін жойған. Мектеп әкімшісіне хабарласыңыз.",
        "ru": "Это приглашение отозвано. Обратитесь к администратору школы.",
    },
    "invite_invalid": {
        "kk": "Шақыру сілтемесі жарамсыз. Сілтемені толық ашқаныңызды тексеріңіз немесе "
        "әкімшіден жаңасын сұраңыз.",
        "ru": "Ссылка-приглашение недействительна. Проверьте, что открыли её целиком, или "
        "попросите у администратора новую.",
    },
    "invite_taken": {
        "kk": "Бұл адам басқа Telegram аккаунтымен қосылған. Әкімшіге хабарласыңыз.",
        "ru": "Этот сотрудник уже подключён с другого аккаунта Telegram. Обратитесь к "
        "администратору.",
    },
    "invite_already_member": {
        "kk": "Сіз Kenes-ке бұрыннан қосылғансыз, {name}. Көмек: /help",
        "ru": "Вы уже подключены к Kenes, {name}. Помощь: /help",
    },
    "welcome_back": {
        "kk": "Сәлеметсіз бе, {name}! Көмек: /help",
        "ru": "Здравствуйте, {name}! Помощь: /help",
    },
    "revoked_user": {
        "kk": "Сіздің Kenes-ке кіру құқығыңыз жабылған. Сұрақ болса, мектеп әкімшісіне "
        "хабарласыңыз.",
        "ru": "Ваш доступ к Kenes закрыт. Если это ошибка, обратитесь к администратору школы.",
    },
    # --- everyday manners -----------------------------------------------------------------
    "help_head": {
        "kk": "<b>Kenes</b>: құқықбұзушылықтың алдын алу кеңесінің көмекшісі.\nКомандалар:",
        "ru": "<b>Kenes</b>: помощник совета по профилактике правонарушений.\nКоманды:",
    },
    "cancel_done": {"kk": "Тоқтатылды.", "ru": "Отменено."},
    "cancel_nothing": {
        "kk": "Тоқтататын ештеңе жоқ.",
        "ru": "Нечего отменять.",
    },
    "language_choose": {
        "kk": "Тілді таңдаңыз:",
        "ru": "Выберите язык:",
    },
    "language_set": {
        "kk": "Тіл: қазақша. Енді мен қазақша сөйлеймін.",
        "ru": "Язык: русский. Теперь я говорю по-русски.",
    },
    "unknown_command": {
        "kk": "Мұндай команда жоқ. Командалар тізімі: /help",
        "ru": "Такой команды нет. Список команд: /help",
    },
    "text_expected": {
        "kk": "Мұнда мәтін керек. Тоқтату: /cancel",
        "ru": "Здесь нужен текст. Отмена: /cancel",
    },
    "stale_button": {
        "kk": "Бұл батырма ескірген. Жаңа тізімді ашыңыз.",
        "ru": "Эта кнопка устарела. Откройте список заново.",
    },
    "not_allowed": {
        "kk": "Бұл әрекетке рұқсатыңыз жоқ.",
        "ru": "У вас нет прав на это действие.",
    },
    "too_long": {
        "kk": "Мәтін тым ұзын ({size} таңба, ең көбі {limit}). Қысқартып қайта жіберіңіз.",
        "ru": "Текст слишком длинный ({size} символов, не больше {limit}). Сократите и "
        "отправьте снова.",
    },
    "error_generic": {
        "kk": "Кешіріңіз, бірдеңе дұрыс болмады. Қайталап көріңіз; қате қайталанса, әкімшіге "
        "хабарласыңыз.",
        "ru": "Извините, что-то пошло не так. Попробуйте ещё раз; если ошибка повторится, "
        "сообщите администратору.",
    },
    # --- commands menu --------------------------------------------------------------------
    "cmd_help": {"kk": "Көмек", "ru": "Помощь"},
    "cmd_language": {"kk": "Тілді ауыстыру", "ru": "Сменить язык"},
    "cmd_cancel": {"kk": "Болдырмау", "ru": "Отмена"},
    "cmd_staff": {"kk": "Қызметкерлер", "ru": "Сотрудники"},
    "cmd_invite": {"kk": "Қызметкерлерді шақыру", "ru": "Пригласить сотрудников"},
    # --- roles ----------------------------------------------------------------------------
    "role_admin": {"kk": "әкімші", "ru": "администратор"},
    "role_chair": {"kk": "кеңес төрағасы", "ru": "председатель совета"},
    "role_deputy_director": {"kk": "директор орынбасары", "ru": "заместитель директора"},
    "role_social_pedagogue": {"kk": "әлеуметтік педагог", "ru": "социальный педагог"},
    "role_psychologist": {"kk": "психолог", "ru": "психолог"},
    "role_class_teacher": {"kk": "сынып жетекшісі", "ru": "классный руководитель"},
    "role_council_member": {"kk": "кеңес мүшесі", "ru": "член совета"},
    "role_librarian": {"kk": "кітапханашы", "ru": "библиотекарь"},
    "role_organiser": {"kk": "педагог-ұйымдастырушы", "ru": "педагог-организатор"},
    "role_teacher": {"kk": "мұғалім", "ru": "учитель"},
    "role_secretary": {"kk": "кеңес хатшысы", "ru": "секретарь совета"},
    "role_external": {"kk": "сырттан (рұқсатсыз)", "ru": "внешний (без доступа)"},
    # --- admin: staff ---------------------------------------------------------------------
    "staff_head": {
        "kk": "<b>Қызметкерлер</b> ({count}): ✅ қосылған · ✉️ шақырылған · ⏳ шақырылмаған · "
        "⛔ ботты бұғаттаған · 🚫 кіру жабық",
        "ru": "<b>Сотрудники</b> ({count}): ✅ подключён · ✉️ приглашён · ⏳ не приглашён · "
        "⛔ заблокировал бота · 🚫 доступ закрыт",
    },
    "staff_page": {"kk": "Бет {page}/{pages}", "ru": "Страница {page}/{pages}"},
    "person_card": {
        "kk": "<b>{name}</b>\nЛауазымы: {position}\nРөлдері: {roles}\nСыныбы: {klass}\n"
        "Күйі: {state}",
        "ru": "<b>{name}</b>\nДолжность: {position}\nРоли: {roles}\nКласс: {klass}\n"
        "Состояние: {state}",
    },
    "state_joined": {"kk": "✅ қосылған", "ru": "✅ подключён"},
    "state_invited": {"kk": "✉️ шақырылған, әлі ашпаған", "ru": "✉️ приглашён, ещё не открыл"},
    "state_never": {"kk": "⏳ шақырылмаған", "ru": "⏳ не приглашён"},
    "state_blocked": {"kk": "⛔ ботты бұғаттаған", "ru": "⛔ заблокировал бота"},
    "state_revoked": {"kk": "🚫 кіру жабық", "ru": "🚫 доступ закрыт"},
    "dash": {"kk": "—", "ru": "—"},
    "btn_invite": {"kk": "✉️ Шақыру сілтемесі", "ru": "✉️ Ссылка-приглашение"},
    "btn_revoke": {"kk": "🚫 Кіруді жабу", "ru": "🚫 Закрыть доступ"},
    "btn_restore": {"kk": "↩️ Кіруді қайтару", "ru": "↩️ Вернуть доступ"},
    "btn_roles": {"kk": "🎭 Рөлдер", "ru": "🎭 Роли"},
    "btn_class": {"kk": "🏫 Сынып", "ru": "🏫 Класс"},
    "btn_back": {"kk": "⬅️ Артқа", "ru": "⬅️ Назад"},
    "btn_save": {"kk": "💾 Сақтау", "ru": "💾 Сохранить"},
    "btn_yes_revoke": {"kk": "Иә, жабу", "ru": "Да, закрыть"},
    "btn_no": {"kk": "Жоқ", "ru": "Нет"},
    "btn_prev": {"kk": "◀️", "ru": "◀️"},
    "btn_next": {"kk": "▶️", "ru": "▶️"},
    "invite_link": {
        "kk": "<b>{name}</b> үшін шақыру сілтемесі ({days} күн жарамды, бір рет):\n{link}\n\n"
        "Сілтемені осы адамға ғана жіберіңіз.",
        "ru": "Ссылка-приглашение для <b>{name}</b> (действует {days} дн., один раз):\n"
        "{link}\n\nПередайте её только этому человеку.",
    },
    "revoke_confirm": {
        "kk": "{name} үшін кіруді жабасыз ба? Оның ашық жұмыстары басқаға беруге белгіленеді.",
        "ru": "Закрыть доступ для {name}? Открытые задачи этого сотрудника будут отмечены для "
        "передачи другому.",
    },
    "revoked_done": {
        "kk": "{name}: кіру жабылды. Қайта тағайындауды қажет ететін пункттер: {items}.",
        "ru": "{name}: доступ закрыт. Пункты, которые нужно передать другому: {items}.",
    },
    "restored_done": {
        "kk": "{name}: кіру қайтарылды. Жаңа шақыру сілтемесін жіберіңіз.",
        "ru": "{name}: доступ возвращён. Отправьте новую ссылку-приглашение.",
    },
    "access_closed_notice": {
        "kk": "Kenes-ке кіру құқығыңыз жабылды.",
        "ru": "Ваш доступ к Kenes закрыт.",
    },
    "roles_pick": {
        "kk": "{name}: рөлдерді белгілеп, «Сақтау» басыңыз.",
        "ru": "{name}: отметьте роли и нажмите «Сохранить».",
    },
    "roles_saved": {
        "kk": "{name}: рөлдер сақталды: {roles}.",
        "ru": "{name}: роли сохранены: {roles}.",
    },
    "roles_empty": {
        "kk": "Кемінде бір рөл таңдаңыз.",
        "ru": "Выберите хотя бы одну роль.",
    },
    "class_ask": {
        "kk": "{name}: сыныпты жазыңыз (мысалы, 7Ә) немесе сыныпты алып тастау үшін «-». "
        "Тоқтату: /cancel",
        "ru": "{name}: напишите класс (например, 7Ә) или «-», чтобы убрать его. Отмена: /cancel",
    },
    "class_bad": {
        "kk": "Сынып 1-ден 11-ге дейінгі сан мен әріп болуы керек, мысалы 7Ә немесе 11А.",
        "ru": "Класс — это число от 1 до 11 и буква, например 7Ә или 11А.",
    },
    "class_saved": {"kk": "{name}: сынып — {klass}.", "ru": "{name}: класс — {klass}."},
    "new_person_name": {
        "kk": "Жаңа қызметкердің аты-жөнін жазыңыз (мысалы, Серікова А.Б.).\nБірнеше адам "
        "болса, тізімін қойыңыз — әр жолға бір адам: «аты-жөні; рөлі; сыныбы» — немесе .txt, "
        ".csv, .xlsx файлын жіберіңіз: барлық сілтеме бір хабарламада келеді. Тоқтату: /cancel",
        "ru": "Напишите ФИО нового сотрудника (например, Серикова А.Б.).\nЕсли людей несколько, "
        "вставьте список — одна строка на человека: «ФИО; роль; класс» — или пришлите файл "
        ".txt, .csv, .xlsx: все ссылки придут одним сообщением. Отмена: /cancel",
    },
    "new_person_bad_name": {
        "kk": "Аты-жөні 2-ден 80 таңбаға дейін болуы керек.",
        "ru": "ФИО должно быть от 2 до 80 символов.",
    },
    "new_person_roles": {
        "kk": "{name}: рөлдерді белгілеп, «Сақтау» басыңыз.",
        "ru": "{name}: отметьте роли и нажмите «Сохранить».",
    },
    "person_unknown": {
        "kk": "Мұндай қызметкер табылмады.",
        "ru": "Такой сотрудник не найден.",
    },
    "unreachable_admin": {
        "kk": "⚠️ {name} хабарламаларды ала алмайды (ботты бұғаттаған немесе бастамаған).",
        "ru": "⚠️ {name} не получает сообщения (заблокировал бота или не начинал диалог).",
    },
    # --- reassigning plan items -------------------------------------------------------------
    "cmd_reassign": {"kk": "Жауаптыны ауыстыру", "ru": "Сменить ответственного"},
    "assign_ask": {
        "kk": "Жоспардың қай тармағы? Нөмірін жазыңыз, мысалы 1.4 немесе 3.4.2. Тоқтату: /cancel",
        "ru": "Какой пункт плана? Напишите номер, например 1.4 или 3.4.2. Отмена: /cancel",
    },
    "assign_bad_ref": {
        "kk": "Жоспарда {ref} тармағы жоқ. Нөмірді тексеріңіз, мысалы 1.4.",
        "ru": "В плане нет пункта {ref}. Проверьте номер, например 1.4.",
    },
    "assign_pick": {
        "kk": "<b>{ref}</b> {title}\nҚазір жауапты: {now}\n\nЖауаптыларды белгілеп, "
        "«Сақтау» басыңыз.",
        "ru": "<b>{ref}</b> {title}\nСейчас отвечает: {now}\n\nОтметьте ответственных и нажмите "
        "«Сохранить».",
    },
    "assign_saved": {
        "kk": "<b>{ref}</b>: енді жауапты — {now}.",
        "ru": "<b>{ref}</b>: теперь отвечает — {now}.",
    },
    "assign_empty": {
        "kk": "Кемінде бір адамды таңдаңыз.",
        "ru": "Выберите хотя бы одного человека.",
    },
    "delivery_failed_admin": {
        "kk": "⚠️ {name} үшін хабарлама бірнеше әрекеттен кейін жіберілмеді (Telegram қатесі). "
        "Кейін қайталаймыз; қате қайталанса, оған басқа жолмен хабарласыңыз.",
        "ru": "⚠️ Сообщение для {name} не удалось отправить после нескольких попыток (ошибка "
        "Telegram). Свяжитесь с ним другим способом, если это повторится.",
    },
    # --- plurals --------------------------------------------------------------------------
    "n_days": {
        "kk": {"one": "{n} күн", "other": "{n} күн"},
        "ru": {"one": "{n} день", "few": "{n} дня", "many": "{n} дней", "other": "{n} дня"},
    },
    "n_people": {
        "kk": {"one": "{n} адам", "other": "{n} адам"},
        "ru": {
            "one": "{n} человек",
            "few": "{n} человека",
            "many": "{n} человек",
            "other": "{n} человека",
        },
    },
    "n_tasks": {
        "kk": {"one": "{n} тапсырма", "other": "{n} тапсырма"},
        "ru": {
            "one": "{n} задача",
            "few": "{n} задачи",
            "many": "{n} задач",
            "other": "{n} задачи",
        },
    },
}


def normalize_language(code: str | None) -> str:
    """The user's Telegram language as a first guess: Russian if ru*, otherwise Kazakh."""
    if code and code.lower().split("-")[0] in ("ru", "be", "uk"):
        return "ru"
    return DEFAULT_LANGUAGE


def _entry(lang: str, key: str) -> str | Plural:
    entry = TEXTS[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]


def t(lang: str, key: str, **values: object) -> str:
    text = _entry(lang, key)
    if isinstance(text, dict):
        raise TypeError(f"text {key!r} has plural forms: use tp()")
    return text.format(**values) if values else text


@cache
def _plural_rule(lang: str) -> Locale:
    return Locale.parse(lang)


def tp(lang: str, key: str, n: int, **values: object) -> str:
    forms = _entry(lang, key)
    if not isinstance(forms, dict):
        raise TypeError(f"text {key!r} has no plural forms: use t()")
    category = _plural_rule(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).plural_form(n)
    return (forms.get(category) or forms["other"]).format(n=n, **values)


def role_name(lang: str, role: str) -> str:
    key = f"role_{role}"
    return t(lang, key) if key in TEXTS else role


FEATURE_TEXT_MODULES = (
    "bot.texts.tasks",
    "bot.texts.sessions",
    "bot.texts.incidents",
    "bot.texts.plan",
    "bot.texts.recording",
    "bot.texts.documents",
    "bot.texts.config",
    "bot.texts.privacy",
    "bot.texts.onboarding",
    "bot.texts.inbox",
    "bot.texts.status",
    "bot.texts.routine",
)


def _merge_feature_texts() -> None:
    """Each feature keeps its texts in its own module; they all land in the one `TEXTS`."""
    import importlib

    for name in FEATURE_TEXT_MODULES:
        module = importlib.import_module(name)
        extra: dict[str, Entry] = module.TEXTS
        clash = set(TEXTS) & set(extra)
        if clash:
            raise RuntimeError(f"text keys defined twice ({name}): {sorted(clash)}")
        TEXTS.update(extra)


_merge_feature_texts()
