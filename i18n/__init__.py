"""What people read, in their language: gettext catalogs (Dutch and French; English is the source text).

`_(locale, "text {name}")` and `N_(locale, singular, plural, count)` translate for a locale such as
`nl_BE`; placeholders are filled after translation (`.format`), so a catalog can move them. Catalogs are
`i18n/locales/<language>/LC_MESSAGES/ponto_slack.po`, extracted with `make catalogs` (babel, keywords
`_:2` and `N_:2,3`). `make` compiles them into `.mo` files; a `.mo` that is missing or older than its
`.po` is compiled in memory from the `.po` instead, so a checkout works before `make` ran. A language
without a catalog, or a message without a translation, reads in English.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "ponto_slack"
LOCALES = Path(__file__).parent / "locales"
LANGUAGES = {"en": "en_BE", "nl": "nl_BE", "fr": "fr_BE"}  # language -> the locale its amounts and dates use


def language_of(locale: str) -> str:
    """`nl_BE` -> `nl`; anything without a catalog -> `en`."""
    language = locale.replace("-", "_").split("_")[0].lower()
    return language if language in LANGUAGES else "en"


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@lru_cache(maxsize=8)
def translations(language: str) -> gettext.NullTranslations:
    po = catalog_path(language)
    if language == "en" or not po.is_file():
        return gettext.NullTranslations()
    mo = po.with_suffix(".mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)  # fuzzy entries are left out, as pybabel compile does
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(locale: str, message: str) -> str:
    return translations(language_of(locale)).gettext(message)


def N_(locale: str, singular: str, plural: str, count: int) -> str:
    return translations(language_of(locale)).ngettext(singular, plural, count)
