"""The catalogs are complete and sound: every string the code marks has a Chinese and a Japanese translation, each
translation keeps its original's placeholders, and the catalogs hold nothing the code no longer says.

Runs the same extraction as `make locales` (services/core/i18n_catalogs.py), so a string added without a
translation fails `make test` here rather than reaching a page in English.
"""

from __future__ import annotations

import re
import string

import pytest
from babel.messages.catalog import Catalog, Message

from services.core.i18n import TRANSLATED
from services.core.i18n_catalogs import extract, read_catalog


@pytest.fixture(scope='module')
def template() -> Catalog:
    return extract()


def _key(message: Message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def _forms(message: Message) -> list[str]:
    return [text for text in (message.string if isinstance(message.string, tuple) else (message.string,))]


def fields(text: str) -> set[str]:
    """The str.format fields of a message ('{name}', '{count}'), and any %-style ones."""
    found = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    return found | set(re.findall(r'%\(\w+\)[sd]|%[sd]', text))


def test_extraction_finds_the_interface_text(template: Catalog) -> None:
    ids = {_key(message) for message in template if message.id}
    # A few strings from each layer: pages, components, the service layer's errors, the action phrases.
    assert (None, 'Sign in') in ids
    assert (None, 'Sign out on every device') in ids
    assert (None, 'Wrong username or password.') in ids
    assert (None, 'The platform could not {action}: {said}.') in ids
    assert ('action', 'generate the cover') in ids
    assert len(ids) > 300


@pytest.mark.parametrize('language', TRANSLATED)
def test_every_message_has_a_translation(template: Catalog, language: str) -> None:
    catalog = read_catalog(language)
    translated = {_key(message): message for message in catalog if message.id}
    wanted = {_key(message) for message in template if message.id}
    missing = sorted(str(key) for key in wanted - translated.keys())
    assert not missing, f'{language}: not in the catalog (run make locales, then translate): {missing[:20]}'
    untranslated = sorted(str(key) for key in wanted if not all(_forms(translated[key])))
    assert not untranslated, f'{language}: no translation yet: {untranslated[:20]}'
    fuzzy = sorted(str(key) for key in wanted if translated[key].fuzzy)
    assert not fuzzy, f'{language}: translations to check (fuzzy, not shown): {fuzzy[:20]}'
    stale = sorted(str(key) for key in translated.keys() - wanted)
    assert not stale, f'{language}: no longer in the code (run make locales): {stale[:20]}'


@pytest.mark.parametrize('language', TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    problems = []
    for message in read_catalog(language):
        if not message.id:
            continue
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        # One plural form serves every count in Chinese and Japanese: it must name what either original names.
        wanted = set().union(*(fields(original) for original in originals))
        for form in _forms(message):
            if fields(form) != wanted:
                problems.append(f'{originals[0]!r}: {sorted(wanted)} vs {sorted(fields(form))} in {form!r}')
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('language', TRANSLATED)
def test_translations_are_in_their_language(language: str) -> None:
    """Not the English left in place: every translation that has words has Han, kana or full-width characters
    (codes and formats such as 'YYYY-MM-DD' and '#{number}: {outcome}' are the same in every language)."""
    same_everywhere = {'YYYY-MM-DD', 'YYYY-MM-DD [HH:MM]'}
    cjk = re.compile(r'[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]')
    suspicious = []
    for message in read_catalog(language):
        originals = message.id if isinstance(message.id, tuple) else (message.id,)
        if not message.id or originals[0] in same_everywhere:
            continue
        for form in _forms(message):
            words = re.sub(r'\{\w+\}', '', form)
            has_words = re.search('[A-Za-z]{3}', re.sub(r'\{\w+\}', '', originals[0]))
            if has_words and not cjk.search(words) and words.strip() not in ('API Key', 'API Secret', 'Secret'):
                suspicious.append(form)
    assert not suspicious, suspicious


def test_plural_rules_come_from_the_catalogs() -> None:
    for language in TRANSLATED:
        assert read_catalog(language).num_plurals == 1  # neither language inflects for number
