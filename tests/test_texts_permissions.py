"""Every text in both languages with the same placeholders; plurals; the permission table."""

from __future__ import annotations

import string

import pytest

from bot.core.roles import Role
from bot.permissions import PERMISSIONS, Perm, can, permissions_of
from bot.texts import LANGUAGES, TEXTS, normalize_language, role_name, t, tp


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_text_exists_in_both_languages_with_same_placeholders(key: str) -> None:
    entry = TEXTS[key]
    assert set(entry) == set(LANGUAGES), f"{key}: languages {sorted(entry)}"
    kk, ru = entry["kk"], entry["ru"]
    assert type(kk) is type(ru), key
    if isinstance(kk, dict):
        assert isinstance(ru, dict)
        assert {"one", "few", "many", "other"} <= set(ru), f"{key}: Russian needs one/few/many"
        assert "other" in kk
        for form in [*kk.values(), *ru.values()]:
            assert "{n}" in form, key
    else:
        assert isinstance(ru, str)
        assert kk.strip() and ru.strip(), key
        assert _fields(kk) == _fields(ru), f"{key}: placeholders differ"


def test_every_role_has_a_name_in_both_languages() -> None:
    for role in Role:
        for lang in LANGUAGES:
            assert role_name(lang, role) != role.value or role.value == "psychologist"


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 день"),
        (2, "2 дня"),
        (4, "4 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (25, "25 дней"),
        (111, "111 дней"),
    ],
)
def test_russian_plural_forms(n: int, expected: str) -> None:
    assert tp("ru", "n_days", n) == expected


def test_kazakh_has_one_form() -> None:
    assert tp("kk", "n_days", 1) == "1 күн"
    assert tp("kk", "n_days", 5) == "5 күн"


def test_t_formats_and_falls_back_to_kazakh() -> None:
    assert "Асель" in t("ru", "welcome_back", name="Асель")
    assert t("de", "cancel_done") == t("kk", "cancel_done")


@pytest.mark.parametrize(
    ("code", "lang"),
    [(None, "kk"), ("kk", "kk"), ("ru", "ru"), ("ru-RU", "ru"), ("en", "kk"), ("uk", "ru")],
)
def test_first_guess_from_telegram_language(code: str | None, lang: str) -> None:
    assert normalize_language(code) == lang


def test_every_role_is_in_the_permission_table() -> None:
    assert set(PERMISSIONS) == set(Role)


def test_external_people_have_no_access() -> None:
    assert permissions_of([Role.EXTERNAL]) == frozenset()
    assert not can([Role.EXTERNAL], Perm.USE_BOT)


def test_only_admins_manage_staff() -> None:
    holders = {role for role, perms in PERMISSIONS.items() if Perm.MANAGE_STAFF in perms}
    assert holders == {Role.ADMIN}


def test_incident_readers() -> None:
    readers = {role for role, perms in PERMISSIONS.items() if Perm.READ_ALL_INCIDENTS in perms}
    assert readers == {Role.CHAIR, Role.DEPUTY_DIRECTOR, Role.SOCIAL_PEDAGOGUE, Role.PSYCHOLOGIST}
    assert can([Role.CLASS_TEACHER], Perm.READ_CLASS_INCIDENTS)
    assert not can([Role.CLASS_TEACHER], Perm.READ_ALL_INCIDENTS)
    assert not can([Role.LIBRARIAN, Role.COUNCIL_MEMBER], Perm.FILE_INCIDENT)


def test_unknown_role_grants_nothing() -> None:
    assert permissions_of(["janitor"]) == frozenset()
    assert can(["janitor", "admin"], Perm.MANAGE_STAFF)


@pytest.mark.parametrize(
    "typed", ["<b>Сания</b> & «Әлия»", "a \"quoted\" 'name'", "x < y > z &amp;"]
)
def test_quote_escapes_as_aiogram_does(typed: str) -> None:
    """`bot.escape.quote` is aiogram's `html_decoration.quote`, without importing aiogram."""
    from aiogram.utils.text_decorations import html_decoration

    from bot.escape import quote

    assert quote(typed) == html_decoration.quote(typed)
    assert "<" not in quote(typed) and ">" not in quote(typed)
