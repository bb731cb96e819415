"""Tool-account names: letters of any alphabet, one look per name, and a stable ASCII X-User-ID for each.

A name is normalised to Unicode NFKC (so 'ｊｏｓé', 'jose\u0301' and 'josé' are one name) and then accepted when
it is 1-64 characters of letters, combining marks after a letter, digits 0-9, '.', '_' and '-', starting with a
letter or digit, and

- written in one script (Latin, Cyrillic, Greek, Arabic, ...), or in the combinations a language needs and
  UTS #39 ("highly restrictive") allows: Han with Hiragana/Katakana (Japanese), Bopomofo (Chinese) or Hangul
  (Korean), each possibly with Latin. 'pаypal' with a Cyrillic 'а' mixes Latin and Cyrillic: refused;
- not confusable with an account that exists: two names whose letters look the same ('alice' and 'aIice' with
  a capital I, 'admin' and Cyrillic 'аdmіn', 'Alice' and 'alice') cannot both exist, so one can never pass for
  the other in the admin page or the audit log. Look-alikes come from Unicode's confusables data
  (the confusable-homoglyphs package), joined into classes.

The platform gets an ASCII `X-User-ID`: an ASCII name is its own id (existing accounts keep theirs), any other
name its Punycode under the IDNA prefix 'xn--' ('josé' -> 'xn--jos-dma'). That prefix is refused for ASCII
names, so the two kinds can never give the same id, nor the same owner id for files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from confusable_homoglyphs import categories, confusables

from services.core.text import bidi_problem

MAX_LENGTH = 64
PUNYCODE_PREFIX = 'xn--'
ALLOWED = ('A username is 1-64 characters: letters of any one alphabet (josé, 张三 and Müller are fine), digits 0-9, '
           '".", "_" or "-", starting with a letter or digit.')
_ASCII_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]*$')
_NEUTRAL_SCRIPTS = {'COMMON', 'INHERITED'}
_HAN_WITH = ({'HAN', 'HIRAGANA', 'KATAKANA'}, {'HAN', 'BOPOMOFO'}, {'HAN', 'HANGUL'})
_DIRECTION_MARKS = str.maketrans('', '', '\u200e\u200f')


def canonical_name(raw: str) -> str:
    """The form a name is stored and looked up in: NFKC, without surrounding white space."""
    return unicodedata.normalize('NFKC', raw).strip()


def name_problem(name: str) -> str | None:
    """Why `name` (already canonical) cannot be an account name, in words for a person, or None."""
    if problem := bidi_problem(name, 'A username'):
        return problem
    if not name:
        return f'Enter a username. {ALLOWED}'
    if len(name) > MAX_LENGTH:
        return f'"{name[:20]}…" has {len(name)} characters. {ALLOWED}'
    if not (name[0].isalpha() or name[0] in '0123456789'):
        return f'A username starts with a letter or one of the digits 0-9, not "{name[0]}". {ALLOWED}'
    for index, char in enumerate(name):
        if _allowed_char(char, name[index - 1] if index else ''):
            continue
        shown = f'"{char}" ({_describe(char)})' if char.isprintable() and not char.isspace() else _describe(char)
        return f'{shown} cannot be part of a username. {ALLOWED}'
    if name.isascii() and name.lower().startswith(PUNYCODE_PREFIX):
        return f'Usernames starting with "{PUNYCODE_PREFIX}" are reserved (they stand for non-Latin names).'
    scripts = _scripts(name)
    if not _one_writing_system(scripts):
        listed = ' and '.join(sorted(script.title() for script in scripts))
        return (f'"{name}" mixes {listed} letters, which is how look-alike names are made (a Cyrillic "а" in '
                f'"pаypal"). Write a username in one alphabet.')
    return None


def confusable_with(name: str, existing: Iterable[str]) -> str | None:
    """An existing name that looks like `name` (case and look-alike letters aside), other than itself."""
    looks = skeletons(name)
    return next((other for other in existing if other != name and skeletons(other) & looks), None)


def platform_user_id(name: str) -> str:
    """The X-User-ID for account `name`: stable, ASCII, and different for every distinct name."""
    if name.isascii():
        return name
    return PUNYCODE_PREFIX + name.encode('punycode').decode('ascii')


def display_user_id(user_id: str) -> str:
    """The account name behind an X-User-ID made by `platform_user_id` (anything else is returned as it is)."""
    if not user_id.startswith(PUNYCODE_PREFIX):
        return user_id
    try:
        return user_id[len(PUNYCODE_PREFIX):].encode('ascii').decode('punycode')
    except (UnicodeError, ValueError):
        return user_id


def skeletons(name: str) -> set[str]:
    """What a name looks like, as typed and case folded, each character by its look-alike class (UTS #39's
    skeleton, in both forms: 'aIice' looks like 'alice' only as typed, 'Alice' like 'alice' only folded)."""
    classes = _lookalike_classes()
    name = canonical_name(name)
    return {''.join(classes.get(char, char) for char in form) for form in (name, name.casefold())}


def _allowed_char(char: str, previous: str) -> bool:
    category = unicodedata.category(char)
    if category.startswith('L') or char in '0123456789._-':
        return True
    # Combining marks (vowel signs, accents NFKC could not compose) belong to the letter before them.
    return category.startswith('M') and bool(previous) and (previous.isalpha() or
                                                            unicodedata.category(previous).startswith('M'))


def _describe(char: str) -> str:
    return f'U+{ord(char):04X} {unicodedata.name(char, "unnamed character").lower()}'


def _scripts(name: str) -> set[str]:
    return {categories.alias(char) for char in name if char.isalpha()} - _NEUTRAL_SCRIPTS


def _one_writing_system(scripts: set[str]) -> bool:
    return len(scripts) <= 1 or any(scripts <= {'LATIN', *allowed} for allowed in _HAN_WITH)


@functools.cache
def _lookalike_classes() -> dict[str, str]:
    """Every character that has a look-alike -> one representative of its class (the smallest code point)."""
    parent: dict[str, str] = {}

    def find(char: str) -> str:
        root = char
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(char, char) != root:  # path compression
            parent[char], char = root, parent[char]
        return root

    for char, entries in confusables.confusables_data.items():
        for entry in entries:
            glyph = entry['c'].translate(_DIRECTION_MARKS)
            if len(char) == 1 and len(glyph) == 1:
                a, b = find(char), find(glyph)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {char: find(char) for char in parent}
