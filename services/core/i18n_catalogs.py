"""Keeping the catalogs in step with the code: `python -m services.core.i18n_catalogs` (what `make locales` runs).

Extracts every marked string (babel.cfg says which files, KEYWORDS which functions) and merges it into each
`locales/<language>/LC_MESSAGES/messages.po`: new strings arrive untranslated, a changed string keeps its old
translation marked fuzzy (not shown until someone checks it), a string no longer in the code is dropped. The
test suite runs the same extraction (tests/core/test_i18n_catalogs.py) and fails while any string lacks a
translation, so a string cannot reach a page in English by accident.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from services.core.i18n import DOMAIN, LOCALE_DIR, TRANSLATED, catalog_path

ROOT = LOCALE_DIR.parent
# gettext's own names, plus NP_ (N_ with a context) and the comment tag that passes a note to translators.
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {
    '_': None, 'gettext': None, 'N_': None, 'ngettext': (1, 2), 'pgettext': ((1, 'c'), 2), 'NP_': ((1, 'c'), 2),
}
COMMENT_TAGS = ('Translators:',)
# Fixed, so that re-running the extraction changes a catalog only where its messages change.
STAMP = datetime(2026, 12, 1, tzinfo=UTC)
HEADER = '# {language} interface text of Agent Studio (services/core/i18n.py). Kept by `make locales`.\n#'


def extract(root: Path = ROOT) -> Catalog:
    """Every translatable string in the code, as a template catalog."""
    with (root / 'babel.cfg').open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    template = Catalog(project='Agent Studio', domain=DOMAIN, fuzzy=False, creation_date=STAMP)
    for filename, lineno, message, comments, context in extract_from_dir(
            str(root), method_map, options_map, keywords=KEYWORDS, comment_tags=COMMENT_TAGS, strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def read_catalog(language: str) -> Catalog:
    path = catalog_path(language)
    if not path.exists():
        return Catalog(locale=language, domain=DOMAIN, project='Agent Studio', version='0.1.0', fuzzy=False,
                       creation_date=STAMP, revision_date=STAMP, header_comment=HEADER.format(language=language),
                       last_translator='Agent Studio', language_team=language)
    with path.open('rb') as source:
        return read_po(source, locale=language, domain=DOMAIN)


def write_catalog(catalog: Catalog, language: str) -> None:
    path = catalog_path(language)
    path.parent.mkdir(parents=True, exist_ok=True)
    # No source locations: they would change with every edit of the code and make merges of the catalogs conflict.
    with path.open('wb') as target:
        write_po(target, catalog, width=120, no_location=True, omit_header=False, sort_output=True,
                 include_previous=False, ignore_obsolete=True)


def update(root: Path = ROOT) -> dict[str, int]:
    """Merge the code's strings into every catalog; returns how many strings each still lacks."""
    template = extract(root)
    missing: dict[str, int] = {}
    for language in TRANSLATED:
        catalog = read_catalog(language)
        catalog.update(template, update_header_comment=False)
        write_catalog(catalog, language)
        missing[language] = sum(1 for message in catalog if message.id and (not message.string or message.fuzzy or
                                                                              not all(message.string if isinstance(
                                                                                  message.string, tuple) else
                                                                                  (message.string,))))
    return missing


def main() -> int:
    missing = update()
    for language, count in missing.items():
        print(f'{catalog_path(language).relative_to(ROOT)}: {count} to translate')
    return 1 if any(missing.values()) else 0


if __name__ == '__main__':
    sys.exit(main())
