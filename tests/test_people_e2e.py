"""People, not keys; menus per role; the plan's vacancies; bulk onboarding — through the real
dispatcher against the strict fake Telegram, in Kazakh and Russian."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlmodel import select

from bot.commands import EVERYONE, commands_for
from bot.core.roles import Role
from db.models import Account, AuditLog, Invite, Person
from fakegram.chats import FakeUser
from tests.harness import Kenes, tap

ALL_COMMANDS = (
    "tasks", "today", "help", "language", "cancel", "staff", "invite", "plan", "reassign",
    "sessions", "status", "incident", "students", "documents",
)  # fmt: skip
REFUSED = {"kk": "Бұл әрекетке рұқсатыңыз жоқ.", "ru": "У вас нет прав на это действие."}


def menu_of(kenes: Kenes, user: FakeUser) -> list[str]:
    state = kenes.fake.bot()
    scope = {"type": "chat", "chat_id": user.id}
    return [c["command"] for c in state.commands.get(state.commands_for(scope, None), [])]


async def set_roles(kenes: Kenes, key: str, roles: list[str], klass: str | None = None) -> None:
    async with kenes.pool() as session:
        person = (await session.exec(select(Person).where(Person.key == key))).one()
        person.roles = roles
        person.class_name = klass
        session.add(person)
        await session.commit()


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_every_roles_menu_lists_exactly_what_it_may_use(kenes: Kenes, lang: str) -> None:
    """One person per role: their chat's menu and /help list the commands the permission
    table allows, in their language; every other command is refused, and no listed one is."""
    from bot.services import staff

    users: dict[Role, tuple[FakeUser, list[str]]] = {}
    for role in Role:
        if role is Role.EXTERNAL:
            continue  # no access at all: nothing to list
        async with kenes.pool() as session:
            person = await staff.add_person(
                session, f"Роль {role.value}", [role.value], by=None, now=kenes.clock.now(),
                class_name="7Ә" if role is Role.CLASS_TEACHER else None,
            )  # fmt: skip
        user = await kenes.join(person.key, role.value, language_code=lang)
        users[role] = (user, [c.command for c in commands_for(lang, [role.value])])
    start: dict[Role, int] = {}
    for role, (user, wanted) in users.items():
        await kenes.fake.wait_until(lambda u=user, w=wanted: menu_of(kenes, u) == w)  # type: ignore[misc]
        start[role] = len(user.chat.bot_messages)
        for command in ALL_COMMANDS:
            await user.command(f"/{command}")
        await user.command("/help")
    for role, (user, _) in users.items():
        # Every command is answered (a refusal is one message; others may send more).
        await kenes.fake.wait_until(
            lambda u=user, r=role: len(u.chat.bot_messages) - start[r] > len(ALL_COMMANDS),  # type: ignore[misc]
            timeout=10,
        )
    user.skip_messages()
    await user.no_message()  # nothing more is coming
    for role, (user, wanted) in users.items():
        answers = user.chat.bot_messages[start[role] :]
        helps = [m.text for m in answers if m.text and m.text.startswith("Kenes")]
        assert len(helps) == 2, role  # /help among the commands, and once more at the end
        listed = [line.split()[0][1:] for line in helps[-1].splitlines() if line.startswith("/")]
        assert listed == wanted, role
        refused = sum(1 for m in answers if m.text == REFUSED[lang])
        assert refused == len([c for c in ALL_COMMANDS if c not in wanted]), role
        assert set(EVERYONE) <= set(wanted)


def refusals(user: FakeUser, lang: str) -> int:
    return sum(1 for m in user.chat.bot_messages if m.text == REFUSED[lang])


async def test_the_menu_follows_the_language_and_the_roles(kenes: Kenes) -> None:
    chair = await kenes.join("eshkeeva-at", "Айнұр", language_code="kk")
    state = kenes.fake.bot()
    scope = {"type": "chat", "chat_id": chair.id}

    async def menu_set(description: str) -> list[dict[str, str]]:
        def found() -> bool:
            menu = state.commands.get(state.commands_for(scope, None), [])
            return any(c["description"] == description for c in menu)

        await kenes.fake.wait_until(found)
        return state.commands[state.commands_for(scope, None)]

    menu = await menu_set("Кеңес отырыстары")
    assert [c["command"] for c in menu] == [c.command for c in commands_for("kk", ["chair"])]
    assert {"command": "sessions", "description": "Кеңес отырыстары"} in menu
    await chair.command("/language")
    await chair.next_message()
    await tap(chair, "Русский")
    menu = await menu_set("Заседания совета")
    assert {"command": "tasks", "description": "Мои задачи"} in menu
    # The admin gives the chair the secretary's role: the menu is set again, still Russian.
    admin = await kenes.admin()
    chair_id = (await kenes.person("eshkeeva-at")).id
    await admin.command("/staff")
    await admin.next_message()
    from bot.callbacks import StaffAction, StaffCb

    roles_msg = admin.chat.bot_messages[-1]
    await admin.tap_data(roles_msg, StaffCb(action=StaffAction.ROLES, person=chair_id).pack())
    await admin.next_callback_answer()
    await admin.tap_data(
        roles_msg, StaffCb(action=StaffAction.TOGGLE, person=chair_id, role="chair").pack()
    )
    await admin.next_callback_answer()
    await admin.tap_data(
        roles_msg, StaffCb(action=StaffAction.TOGGLE, person=chair_id, role="secretary").pack()
    )
    await admin.next_callback_answer()
    await admin.tap_data(roles_msg, StaffCb(action=StaffAction.SAVE, person=chair_id).pack())
    await admin.next_callback_answer()
    await kenes.fake.wait_until(
        lambda: (
            "status" not in [c["command"] for c in state.commands[state.commands_for(scope, None)]]
        )
    )
    menu = [c["command"] for c in state.commands[state.commands_for(scope, None)]]
    assert menu == [c.command for c in commands_for("ru", ["secretary"])]
    assert "status" not in menu and "sessions" in menu


@pytest.mark.parametrize("lang", ["kk", "ru"])
async def test_a_vacancy_is_nobodys_name_and_the_admin_fills_it(kenes: Kenes, lang: str) -> None:
    admin = await kenes.admin(language_code=lang)
    await admin.command("/staff")
    screen = await admin.next_message()
    labels = screen.button_labels
    vacancy = {"kk": "🪑 Мектеп медиаторы", "ru": "🪑 Школьный медиатор"}[lang]
    while not any(vacancy in label for label in labels) and "▶️" in screen.button_labels:
        await tap(admin, "▶️")
        screen = admin.chat.get(screen.message_id)  # type: ignore[assignment]
        assert screen is not None
        labels = screen.button_labels
    label = next(label for label in labels if vacancy in label)
    assert "Медиатор" not in " ".join(labels)
    await tap(admin, label)
    card = admin.chat.get(screen.message_id)
    assert card is not None and "✉️" not in " ".join(card.button_labels)  # no invite yet
    await tap(admin, {"kk": "👤 Тағайындау", "ru": "👤 Назначить"}[lang])
    await admin.next_message()
    await admin.send("Серікова Айгерім")
    done = await admin.next_message()  # one message: assigned, and the invite link
    assert "Серікова Айгерім" in done.text and "https://t.me/" in done.text
    await admin.no_message()
    async with kenes.pool() as session:
        person = (await session.exec(select(Person).where(Person.key == "mediator"))).one()
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert person.name == "Серікова Айгерім" and not person.vacancy
    assert "person.fill_vacancy" in actions


async def test_a_session_card_shows_the_vacancy_to_the_admin_only(kenes: Kenes) -> None:
    from bot.callbacks import SessionAction, SessionCb

    chair = await kenes.join("eshkeeva-at", "Айнұр")
    admin = await kenes.admin(language_code="ru")
    for user, shown in ((chair, False), (admin, True)):
        await user.command("/sessions")
        listing = await user.next_message()
        await user.tap_data(listing, SessionCb(action=SessionAction.OPEN, num=6).pack())
        await user.next_callback_answer()
        card = user.chat.get(listing.message_id)
        assert card is not None
        assert ("Школьный медиатор — не назначен" in card.text) is shown, card.text
        assert ("Мектеп медиаторы" in card.text) is False


STAFF_LIST = (
    "Аты-жөні; Рөлі; Сыныбы\n"
    "Серікова Айгерім Болатқызы; сынып жетекшісі; 7Ә\n"
    "Иванова Анна; психолог\n"
    "Амангелді С.М.; әлеуметтік педагог\n"
    "Жақсылықов Ербол; директордың лауазымы\n"
    "Омаров Арман; класс руководитель; 12Б\n"
    "; мұғалім\n"
    "Тоқтаров Бек; 9А\n"
)


async def test_the_admin_pastes_a_staff_list_and_gets_every_link_at_once(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/invite")
    await admin.next_message()
    await admin.send(STAFF_LIST)
    reply = await admin.next_message()
    await admin.no_message()  # one message
    text = reply.text
    assert text.count("https://t.me/") == 4
    assert "1. Серікова Айгерім Болатқызы — сынып жетекшісі, 7Ә" in text
    assert "Иванова Анна — психолог" in text
    assert "Амангелді С.М. — әлеуметтік педагог" in text  # the plan's person, not a new one
    assert "Тоқтаров Бек — сынып жетекшісі, 9А" in text
    assert "5-жол: «Жақсылықов Ербол | директордың лауазымы» — рөлі түсініксіз" in text
    assert "6-жол: «Омаров Арман | класс руководитель | 12Б» — сынып дұрыс емес" in text
    assert "7-жол:" in text
    async with kenes.pool() as session:
        people = {p.name: p for p in (await session.exec(select(Person))).all()}
        invites = (await session.exec(select(Invite))).all()
    assert people["Серікова Айгерім Болатқызы"].class_name == "7Ә"
    assert people["Серікова Айгерім Болатқызы"].roles == ["class_teacher"]
    assert len([p for p in people.values() if p.name == "Амангелді С.М."]) == 1
    assert "Жақсылықов Ербол" not in people and len(invites) == 4
    # A link from the list works.
    link = next(line for line in text.splitlines() if "start=" in line)
    newcomer = kenes.fake.user(first_name="Айгерім", language_code="kk")
    await newcomer.command("/start", link.split("start=", 1)[1].strip())
    assert "Серікова Айгерім" in (await newcomer.next_message()).text


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_the_admin_uploads_the_staff_list_as_a_file(kenes: Kenes, kind: str) -> None:
    rows = [("ФИО", "Роль", "Класс")] + [
        (f"Учитель Номер{i}", "классный руководитель", f"{1 + i % 11}А") for i in range(40)
    ]
    rows.append(("Неизвестный", "космонавт", ""))
    if kind == "csv":
        content = "\n".join(";".join(r) for r in rows).encode("utf-8")
    else:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)  # type: ignore[union-attr]
        buffer = io.BytesIO()
        book.save(buffer)
        content = buffer.getvalue()
    admin = await kenes.admin(language_code="ru")
    await admin.command("/invite")
    await admin.next_message()
    await admin.send_document(f"сотрудники.{kind}", content)
    reply = await admin.next_message()
    await admin.no_message()
    # 40 links do not fit one message: one file, with a caption that counts.
    assert reply.document is not None and reply.document.filename == "invites.txt"
    caption = reply.caption or ""
    assert "40 человек" in caption and "не прочитано строк: 1" in caption
    listing = reply.document_bytes
    assert listing is not None
    body = listing.decode("utf-8")
    assert body.count("https://t.me/") == 40
    assert "строка 42: «Неизвестный | космонавт» — роль не распознана" in body


async def test_a_file_that_is_no_list_gets_a_clear_answer(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/invite")
    await admin.next_message()
    await admin.send_document("staff.xlsx", b"not a workbook")
    assert "тізім ретінде оқи алмадым" in (await admin.next_message()).text
    async with kenes.pool() as session:
        assert (await session.exec(select(Invite))).all() == []
        assert len((await session.exec(select(Account))).all()) == 1  # the admin only


async def test_the_roles_screen_has_a_way_back_to_the_card(kenes: Kenes) -> None:
    from bot.callbacks import StaffAction, StaffCb

    admin = await kenes.admin(language_code="ru")
    target = await kenes.person("rakhimzhanova-ar")
    await admin.command("/staff")
    listing = await admin.next_message()
    await admin.tap_data(listing, StaffCb(action=StaffAction.CARD, person=target.id).pack())
    await admin.next_callback_answer()
    await tap(admin, "🎭 Роли")
    roles = admin.chat.get(listing.message_id)
    assert roles is not None and "⬅️ Назад" in roles.button_labels
    await tap(admin, "⬅️ Назад")
    card = admin.chat.get(listing.message_id)
    assert card is not None and "Рахимжанова А.Р." in card.text and "🎭 Роли" in card.button_labels
    assert (await kenes.person("rakhimzhanova-ar")).roles == target.roles  # nothing saved
