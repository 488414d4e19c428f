"""Staff on board, end to end: real polling, the strict fake Telegram, the real database."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from db.models import Account, AccountState, AuditLog, Invite
from fakegram import FakeTelegram
from tests.harness import Kenes, eventually, settled, tap


async def test_stranger_is_refused_politely_in_their_language(kenes: Kenes) -> None:
    kk = kenes.fake.user(first_name="Бөтен", language_code="kk")
    await kk.send("Сәлем! Кеңестің жоспарын көрсетші")
    assert "әкімшісінен" in (await kk.next_message()).text
    ru = kenes.fake.user(first_name="Чужой", language_code="ru")
    await ru.command("/staff")
    reply = await ru.next_message()
    assert "только для сотрудников" in reply.text
    assert "Амангелді" not in reply.text and reply.reply_markup is None
    await ru.command("/help")  # within ten minutes of the refusal: nothing (bot.strangers)
    await settled(kenes)
    assert len(ru.bot_messages) == 1
    kenes.clock.advance(timedelta(minutes=10))
    await ru.command("/help")
    assert "только для сотрудников" in (await ru.next_message()).text


async def test_invite_link_links_account_with_roles(kenes: Kenes) -> None:
    user = kenes.fake.user(first_name="Сания", language_code="ru")
    token = await kenes.invite_token("amangeldi-sm")
    await user.command("/start", token)
    welcome = await user.next_message()
    assert "Амангелді" in welcome.text and "социальный педагог" in welcome.text
    async with kenes.pool() as session:
        account = (await session.exec(select(Account))).one()
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert account.telegram_user_id == user.id and str(account.language) == "ru"
    assert "invite.redeem" in actions
    # The same link again, by someone else: used.
    other = kenes.fake.user(first_name="Другой", language_code="ru")
    await other.command("/start", token)
    assert "уже использована" in (await other.next_message()).text
    await user.command("/help")
    assert "/language" in (await user.next_message()).text


async def test_expired_and_made_up_links_get_clear_answers(kenes: Kenes) -> None:
    token = await kenes.invite_token("rakhimzhanova-ar")
    kenes.clock.advance(timedelta(days=8))
    user = kenes.fake.user(language_code="kk")
    await user.command("/start", token)
    assert "мерзімі өтіп кеткен" in (await user.next_message()).text
    for junk in ["hello", "i_" + "A" * 30, "<script>", "x" * 64]:
        other = kenes.fake.user(language_code="kk")  # one answer per stranger per 10 minutes
        await other.command("/start", junk)
        assert "жарамсыз" in (await other.next_message()).text
    async with kenes.pool() as session:
        assert (await session.exec(select(Account))).all() == []


async def test_admin_invites_from_the_chat_and_revokes(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/staff")
    listing = await admin.next_message()
    assert "Қызметкерлер" in listing.text
    await tap(admin, "⏳ Амангелді С.М.")
    card_msg = admin.find_button_message("✉️ Шақыру сілтемесі")
    assert "Амангелді С.М." in card_msg.text
    await tap(admin, "✉️ Шақыру сілтемесі")
    link_msg = await admin.next_message()
    assert "https://t.me/kenes_test_bot?start=i_" in link_msg.text
    token = link_msg.text.split("start=")[1].split()[0]
    teacher = kenes.fake.user(first_name="Сәуле", language_code="kk")
    await teacher.command("/start", token)
    assert "Қош келдіңіз" in (await teacher.next_message()).text
    # Revoke: confirm, then access ends at once.
    await admin.command("/staff")
    await admin.next_message()
    await tap(admin, "✅ Амангелді С.М.")
    await tap(admin, "🚫 Кіруді жабу")
    await tap(admin, "Иә, жабу")
    notice = await teacher.next_message()
    assert "жабылды" in notice.text
    await teacher.command("/help")
    assert "жабылған" in (await teacher.next_message()).text
    async with kenes.pool() as session:
        account = (
            await session.exec(select(Account).where(Account.telegram_user_id == teacher.id))
        ).one()
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert account.state is AccountState.REVOKED
    assert {"invite.create", "invite.redeem", "person.revoke", "person.reassign_needed"} <= set(
        actions
    )
    # The admin's summary names the plan items that need a new owner.
    revoked_text = admin.last_bot_message.text
    assert "1.1" in revoked_text and "№3 отырыс" in revoked_text  # a session, not its key


async def test_admin_changes_roles_and_class(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/staff")
    await admin.next_message()
    await tap(admin, "▶️")
    await tap(admin, "◀️")
    await tap(admin, "⏳ Бисенбаева Г.Д.")
    await tap(admin, "🎭 Рөлдер")
    await tap(admin, "▫️ сынып жетекшісі")
    await tap(admin, "☑️ кітапханашы")
    await tap(admin, "💾 Сақтау")
    assert "сынып жетекшісі" in admin.last_bot_message.text
    person = await kenes.person("bisenbaeva-gd")
    assert person.roles == ["class_teacher"]
    await admin.command("/staff")
    await admin.next_message()
    await tap(admin, "⏳ Бисенбаева Г.Д.")
    await tap(admin, "🏫 Сынып")
    await admin.next_message()
    await admin.send("12Z")
    assert "1-ден 11-ге" in (await admin.next_message()).text
    await admin.send("7ә")
    assert "7Ә" in (await admin.next_message()).text
    assert (await kenes.person("bisenbaeva-gd")).class_name == "7Ә"


async def test_admin_adds_a_new_person_with_html_in_the_name(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/invite")
    await admin.next_message()
    await admin.send("<b>Серікова</b> А.Б.")
    roles_msg = await admin.next_message()
    assert "&lt;b&gt;" not in roles_msg.text and "<b>Серікова</b>" in roles_msg.text
    assert "рөл" in (await tap(admin, "💾 Сақтау") or "")  # at least one role
    await tap(admin, "▫️ мұғалім")
    await tap(admin, "💾 Сақтау")
    link = admin.chat.get(roles_msg.message_id)  # one screen: the roles saved, and the link
    assert link is not None and "start=i_" in link.text and "мұғалім" in link.text
    async with kenes.pool() as session:
        assert len((await session.exec(select(Invite))).all()) == 1


async def test_forged_and_stale_buttons_change_nothing(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/staff")
    listing = await admin.next_message()
    for data in [
        "s1:cd:999999:0:",
        "s1:zz:1:0:",
        "garbage",
        "s1:tg:1:0:admin",
        "s1:sv:1:0:",
        "s0:cd:1:0:",
        "s1:ro:999999:0:",
        "s1:tg:1:0:superuser",
    ]:
        await admin.tap_data(listing, data)
        answer = await admin.next_callback_answer()
        assert answer.text and ("ескірген" in answer.text)
    async with kenes.pool() as session:
        actions = [a.action for a in (await session.exec(select(AuditLog))).all()]
    assert actions == ["admin.bootstrap"]


async def test_non_admin_cannot_use_admin_commands(kenes: Kenes) -> None:
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    await teacher.command("/staff")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text
    await teacher.command("/nonsense")
    assert "Мұндай команда жоқ" in (await teacher.next_message()).text
    await teacher.send("сәлем")  # free text: a short help with her three likeliest commands
    help_text = (await teacher.next_message()).text
    assert "Еркін мәтінді түсінбеймін" in help_text
    assert [line.split()[0] for line in help_text.splitlines() if line.startswith("/")] == [
        "/tasks",
        "/incident",
        "/today",
    ]


async def test_language_switch_and_cancel(kenes: Kenes) -> None:
    user = await kenes.join("rakhimzhanova-ar", "Айгүл")
    await user.command("/language")
    await user.next_message()
    await tap(user, "Русский")
    assert "русский" in user.last_bot_message.text
    await user.command("/cancel")
    assert "Нечего отменять" in (await user.next_message()).text


async def test_group_chat_gets_one_notice_and_nothing_else(kenes: Kenes) -> None:
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    group = kenes.fake.group("Мұғалімдер", members=[teacher])
    await group.command(teacher, "/help")
    notice = await group.next_message()
    assert "жеке" in notice.text
    await group.command(teacher, "/staff")
    await group.no_message(0.3)


async def test_blocking_the_bot_marks_the_account(kenes: Kenes, fakegram: FakeTelegram) -> None:
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    teacher.block()

    async def blocked() -> bool:
        async with kenes.pool() as session:
            account = (await session.exec(select(Account))).one()
            return account.state is AccountState.BLOCKED and account.unreachable_since is not None

    await eventually(fakegram, blocked)
    teacher.unblock()
    await teacher.send("сәлем")
    await teacher.next_message()
    async with kenes.pool() as session:
        assert (await session.exec(select(Account))).one().state is AccountState.JOINED


async def test_admin_reassigns_a_plan_item(kenes: Kenes) -> None:
    admin = await kenes.admin(language_code="ru")
    await admin.command("/reassign", "9.9")
    assert "нет пункта 9.9" in (await admin.next_message()).text
    await admin.send("1.11")
    pick = await admin.next_message()
    assert "Амангелді С.М." in pick.text and "«Стражи порядка»" in pick.text  # in Russian
    await tap(admin, "☑️ Амангелді С.М.")
    assert "хотя бы одного" in (await tap(admin, "💾 Сохранить") or "")
    await tap(admin, "▫️ Ильясова С.М.")
    await tap(admin, "💾 Сохранить")
    assert "теперь отвечает — Ильясова С.М." in admin.last_bot_message.text
    async with kenes.pool() as session:
        from bot.services.assignments import effective_plan

        plan = await effective_plan(session, kenes.plan)
        audit = (
            await session.exec(select(AuditLog).where(AuditLog.action == "item.reassign"))
        ).one()
    assert plan.item("1.11").responsible.people == ("ilyasova-sm",)
    assert audit.details == {"before": ["amangeldi-sm"], "after": ["ilyasova-sm"]}
    # A teacher may not reassign.
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    await teacher.command("/reassign", "1.11")
    assert "рұқсатыңыз жоқ" in (await teacher.next_message()).text


async def test_revoked_user_pressing_old_buttons_changes_nothing(kenes: Kenes) -> None:
    teacher = await kenes.join("rakhimzhanova-ar", "Айгүл")
    await teacher.command("/language")
    await teacher.next_message()
    admin = await kenes.admin()
    await admin.command("/staff")
    await admin.next_message()
    await tap(admin, "▶️")
    await tap(admin, "✅ Рахимжанова А.Р.")
    await tap(admin, "🚫 Кіруді жабу")
    await tap(admin, "Иә, жабу")
    await teacher.next_message()  # "your access is closed"
    answer = await tap(teacher, "Русский")
    assert answer and "жабылған" in answer
    async with kenes.pool() as session:
        account = (
            await session.exec(select(Account).where(Account.telegram_user_id == teacher.id))
        ).one()
    assert str(account.language) == "kk"


async def test_plan_groups_resolve_to_the_people_in_them(kenes: Kenes) -> None:
    from bot.services.staff import members_of
    from db.models import Person

    async with kenes.pool() as session:
        people = (await session.exec(select(Person))).all()
    psych = kenes.plan.item("3.3").responsible  # «Мектеп психологиялық қызметінің мүшелері»
    keys = {p.key for p in members_of(psych, kenes.plan, people)}
    assert {"amangeldi-sm", "rakhimzhanova-ar", "ilyasova-sm"} <= keys
    police = kenes.plan.item("3.4").subitems[0].responsible
    assert police is not None
    assert members_of(police, kenes.plan, people) == []  # external: no accounts


async def test_a_file_where_text_is_expected_gets_a_clear_answer(kenes: Kenes) -> None:
    admin = await kenes.admin()
    await admin.command("/invite")
    await admin.next_message()
    await admin.send_document("photo.jpg", b"\xff\xd8 not text", caption=None)
    assert "тізім ретінде оқи алмадым" in (await admin.next_message()).text  # not a staff list
    await admin.command("/cancel")
    assert "Тоқтатылды" in (await admin.next_message()).text
    await admin.send_document("list.pdf", b"%PDF-1.4")  # outside any dialogue
    assert "/staff — " in (await admin.next_message()).text
    async with kenes.pool() as session:
        from db.models import Person

        assert len((await session.exec(select(Person))).all()) == len(kenes.plan.people) + 1
