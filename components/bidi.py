"""Names shown so that they cannot reorder the text around them (issue 12, item 6).

The studio refuses text-direction controls in the names people type here (services/core/text.py), but names
also come from elsewhere: agents made with the same key by another client, user ids, audit entries. A name made
elsewhere ending in U+202E RIGHT-TO-LEFT OVERRIDE would otherwise turn the rest of its line around. Three tools:

- `name_label(text)`: a label of its own for a name, isolated with CSS `unicode-bidi: isolate`;
- `bdi(text)`: an inline `<bdi>` for a name inside a sentence built from elements;
- `isolated(text)`: the name between FSI and PDI (U+2068 ... U+2069), the plain-text form of `<bdi>`, for
  places that take a string only (notifications, dialog titles, table cells). Direction controls inside the name
  are dropped first, since a stray PDI in it would close the isolate early. A name with nothing right-to-left in
  it cannot disturb the studio's left-to-right sentences and is left as it is (no invisible characters to
  trip up a copy and paste);
- `visible_controls(text)`: for logs, where the exact text matters: each control shown as <U+202E>.
"""

from __future__ import annotations

import unicodedata

from nicegui import ui
from nicegui.elements.mixins.text_element import TextElement

from services.core.text import BIDI_CONTROLS

FSI, PDI = '\u2068', '\u2069'
ISOLATE_CLASS = 'bidi-isolate'
ISOLATE_CSS = f'.{ISOLATE_CLASS} {{ unicode-bidi: isolate; }}'
# Bidi classes that can move text in a left-to-right sentence: right-to-left letters and numbers, and controls.
_RTL_OR_CONTROL = {'R', 'AL', 'AN', 'LRE', 'RLE', 'LRO', 'RLO', 'PDF', 'LRI', 'RLI', 'FSI', 'PDI'}


def without_controls(text: str) -> str:
    return ''.join(char for char in text if char not in BIDI_CONTROLS)


def isolated(text: str) -> str:
    if not any(unicodedata.bidirectional(char) in _RTL_OR_CONTROL for char in text):
        return text
    return FSI + without_controls(text) + PDI


def visible_controls(text: str) -> str:
    return ''.join(f'<U+{ord(char):04X}>' if char in BIDI_CONTROLS else char for char in text)


def name_label(text: str) -> ui.label:
    """A label showing a name, isolated from whatever is shown next to it."""
    return ui.label(text).classes(ISOLATE_CLASS)


class Bdi(TextElement):
    """`<bdi>`: HTML's own isolate for a run of text of unknown direction inside a sentence."""

    def __init__(self, text: str = '') -> None:
        super().__init__(tag='bdi', text=text)


def bdi(text: str) -> Bdi:
    return Bdi(text)
