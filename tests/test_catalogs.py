"""The catalog check: every text the code marks for translation is in the Dutch and French catalogs,
translated, with the same placeholders; and what a translated message says still fits Slack's limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from i18n import LANGUAGES, N_, _, catalog_path, language_of, translations
from tests.conftest import ROOT

KEYWORDS = {"_": (2,), "N_": (2, 3)}  # as `make catalogs` extracts them
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def marked() -> set[str | tuple[str, str]]:
    """Every message the code marks: a text, or (singular, plural)."""
    found: set[str | tuple[str, str]] = set()
    for package in ("bot", "worker", "web"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, comment_tags=()
        ):
            found.add(tuple(message) if isinstance(message, tuple) else message)  # type: ignore[arg-type]
    return found


def test_the_checker_finds_the_marked_texts() -> None:
    assert "Bank accounts connected" in marked()
    assert ("{count} account", "{count} accounts") in marked()


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_marked_text_is_translated_with_its_placeholders(language: str) -> None:
    with Path(catalog_path(language)).open("rb") as source:
        catalog = read_po(source, locale=language)
    entries = {(m.id if isinstance(m.id, str) else tuple(m.id)): m for m in catalog if m.id}
    missing = sorted(str(m) for m in marked() if m not in entries)
    assert not missing, f"not in the {language} catalog (run `make catalogs` and translate): {missing}"
    for key, message in entries.items():
        assert not message.fuzzy, f"{language}: {key!r} is marked fuzzy: check its translation"
        sources = [key] if isinstance(key, str) else list(key)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings), f"{language}: {key!r} has no translation"
        wanted = {p for s in sources for p in PLACEHOLDER.findall(s)}
        for string in strings:
            assert set(PLACEHOLDER.findall(string)) == wanted, f"{language}: {key!r} -> {string!r} changes placeholders"
    obsolete = sorted(str(k) for k in entries if k not in marked())
    assert not obsolete, f"{language}: no longer in the code (run `make catalogs`): {obsolete}"


def test_translations_and_their_plural_forms() -> None:
    assert _("nl_BE", "Bank accounts connected") == "Bankrekeningen gekoppeld"
    assert _("fr_BE", "Bank accounts connected") == "Comptes bancaires connectés"
    assert _("en_BE", "Bank accounts connected") == "Bank accounts connected"
    assert _("de_DE", "Bank accounts connected") == "Bank accounts connected"  # no catalog: English
    one, many = "{count} account", "{count} accounts"
    assert [N_("fr_BE", one, many, n).format(count=n) for n in (0, 1, 2)] == ["0 compte", "1 compte", "2 comptes"]
    assert [N_("nl_BE", one, many, n).format(count=n) for n in (0, 1, 2)] == [
        "0 rekeningen",
        "1 rekening",
        "2 rekeningen",
    ]
    assert language_of("fr-BE") == "fr" and language_of("nl") == "nl" and language_of("xx") == "en"


def test_a_catalog_is_read_from_its_po_when_no_mo_was_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import i18n

    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "ponto_slack.po").write_bytes(catalog_path("nl").read_bytes())
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)
    translations.cache_clear()
    try:
        assert not (folder / "ponto_slack.mo").exists()
        assert i18n._("nl_BE", "Bank accounts connected") == "Bankrekeningen gekoppeld"
    finally:
        translations.cache_clear()


def test_no_text_is_marked_inside_an_f_string() -> None:
    """babel does not look inside f-strings (on Python 3.11): a text marked there would be neither extracted
    nor checked, and would stay English."""
    inside = re.compile(r"""f(["']).*\{[^}]*\bN?_\(locale""")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in ("bot", "worker", "web")
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if inside.search(line)
    ]
    assert not found, f"texts marked inside f-strings (compute them first): {found}"
