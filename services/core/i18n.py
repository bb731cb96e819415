"""The interface in English, Chinese (simplified) and Japanese: gettext catalogs (Babel), plural forms, and Babel's
date and number formatting, for whoever is being answered right now.

The catalogs are `locales/<language>/LC_MESSAGES/messages.po`, kept by `make locales` (Babel's extract and update).
They are compiled in memory the first time a language is needed, so a fresh clone runs with no build step and a
stale `.mo` next to a newer `.po` cannot exist.

Whose language it is is not a global: each call asks `current_language()`, which is, in this order, a language set
for the running code (`use_language`: the CLI, a job started by someone, a test), what the UI layer says for the
page being served (`set_resolver`: components/language.py reads the current NiceGUI client), or English. The
service layer calls `_()` where it words a message; a message built outside any page (a job in the background) is
worded in the language the job was started in (see services/studio/jobs.py).

Strings in module-level tables are marked with `N_()` (found by extraction, left as they are) and translated with
`_()` where they are shown, so they follow the reader's language rather than the one of whoever imported first.
Placeholders are `str.format` names (`_('Signed {name} out.').format(name=...)`), so translators may move them.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

# Endonyms: a language's own name is never translated, so a person can find theirs whatever the page shows.
LANGUAGES: dict[str, str] = {'en': 'English', 'zh': '中文', 'ja': '日本語'}
DEFAULT = 'en'
TRANSLATED = ('zh', 'ja')  # the languages with a catalog; English is the source text
DOMAIN = 'messages'
LOCALE_DIR = Path(__file__).resolve().parents[2] / 'locales'
# Babel's locale for formatting: simplified Chinese as written in mainland China, Japanese as in Japan.
_BABEL_LOCALES = {'en': 'en_US', 'zh': 'zh_Hans_CN', 'ja': 'ja_JP'}

_override: ContextVar[str | None] = ContextVar('studio_language', default=None)
_resolver: Callable[[], str | None] | None = None


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """The UI layer's answer to "which language does the page being served now read?" (None: no page)."""
    global _resolver
    _resolver = resolver


def current_language() -> str:
    language = _override.get()
    if language is None and _resolver is not None:
        language = _resolver()
    return language if language in LANGUAGES else DEFAULT


@contextmanager
def use_language(language: str | None) -> Iterator[None]:
    """Word everything inside in `language` (an unknown or empty one leaves the current choice as it is)."""
    token = _override.set(language if language in LANGUAGES else _override.get())
    try:
        yield
    finally:
        _override.reset(token)


def task_context() -> Context:
    """The context to run a task of its own in (`loop.create_task(work, context=task_context())`), so that what it
    words is in the language of whoever starts it now: a task outlives the page event that started it, and outside
    a page the UI layer cannot say whose language it is."""
    context = copy_context()
    context.run(_override.set, current_language())
    return context


def language_name(language: str) -> str:
    return LANGUAGES.get(language, language)


# --- choosing from what a browser asks for ---------------------------------------------------------------------

_RANGE = re.compile(r'^\s*([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$')


def negotiate(accept_language: str | None) -> str | None:
    """The interface language an Accept-Language header prefers most, by its q-values ("fr;q=1, ja;q=0.8, en;q=0.5"
    -> "ja"); None when it names none of them. Any Chinese (zh-TW and zh-HK too) reads the simplified catalog:
    closer to what was asked for than English."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or '').split(',')):
        match = _RANGE.match(part)
        if not match:
            continue
        quality = float(match.group(2)) if match.group(2) is not None else 1.0
        primary = match.group(1).split('-')[0].lower()
        if quality > 0 and primary in LANGUAGES:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


# --- translations ----------------------------------------------------------------------------------------------

def catalog_path(language: str) -> Path:
    return LOCALE_DIR / language / 'LC_MESSAGES' / f'{DOMAIN}.po'


@functools.cache
def translations(language: str) -> _gettext.NullTranslations:
    """The compiled catalog of a language (English, and a language without a catalog, read the source text)."""
    path = catalog_path(language)
    if language == DEFAULT or not path.exists():
        return _gettext.NullTranslations()
    with path.open('rb') as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)  # a fuzzy (unchecked) translation is not shown
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations(current_language()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form for `count` by the language's own plural rule (Chinese and Japanese have one form)."""
    return translations(current_language()).ngettext(singular, plural, count)


def pgettext(context: str, message: str) -> str:
    """For a word that reads differently in two places ('Cover' the step, 'cover' the picture)."""
    return translations(current_language()).pgettext(context, message)


def N_(message: str) -> str:
    return message


def NP_(context: str, message: str) -> str:
    return message


def translate(message: str | None) -> str:
    """`_()` for a message that may be empty (e.g. stored text that was marked with N_)."""
    return gettext(message) if message else ''


# --- dates and numbers -----------------------------------------------------------------------------------------

def babel_locale(language: str | None = None) -> Locale:
    return Locale.parse(_BABEL_LOCALES[language or current_language()])


def format_datetime(moment: float | datetime, format: str = 'medium', *, tz: tzinfo | None = None) -> str:
    """A time as the reader's language writes it ('Dec 1, 2026, 9:39:00 PM', '2026年12月1日 21:39:00')."""
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    return babel_dates.format_datetime(when, format, tzinfo=tz, locale=babel_locale())


def format_minute(moment: float | datetime, *, tz: tzinfo | None = None) -> str:
    """A time to the minute, in the reader's language's own order and clock ('Dec 1, 2026, 9:39 PM',
    '2026年12月1日 21:39'): the locale's medium date and short time, joined as the locale joins them."""
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    locale = babel_locale()
    date = babel_dates.format_date(when, 'medium', locale=locale)
    time_of_day = babel_dates.format_time(when, 'short', tzinfo=tz, locale=locale)
    return str(babel_dates.get_datetime_format('medium', locale=locale)).replace('{1}', date).replace('{0}',
                                                                                                  time_of_day)


def format_date(moment: float | datetime, format: str = 'medium') -> str:
    when = moment if isinstance(moment, datetime) else datetime.fromtimestamp(moment, UTC)
    return babel_dates.format_date(when, format, locale=babel_locale())


def format_number(number: float, format: str | None = None) -> str:
    """1234.5 -> '1,234.5' in every language here (all three group by thousands with a comma)."""
    return babel_numbers.format_decimal(number, format=format, locale=babel_locale())


def format_list(items: list[str]) -> str:
    """['API key', 'secret'] -> 'API key and secret' / 'API key和secret' / 'API key、secret', by the language's rule."""
    return babel_lists.format_list(items, locale=babel_locale())
