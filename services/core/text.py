"""Checks on text that people name things with (accounts, agents), shared by every layer that takes a name, and
how long such a text is to the person who reads it.

Bidirectional control characters are invisible and change the order in which the text *around* them is shown:
a name ending in U+202E RIGHT-TO-LEFT OVERRIDE turns "Mia · created 2 min ago" into "Mia · oga nim 2 detaerc",
and can make a file name or a message read as something it is not. No name needs them: right-to-left names
(Arabic, Hebrew) are shown correctly by the browser's own bidi algorithm, as long as each name is displayed
isolated (see components/bidi.py).
"""

from __future__ import annotations

import regex

from services.core.i18n import N_, _

# U+202A-U+202E: LRE, RLE, PDF, LRO, RLO (embeddings and overrides); U+2066-U+2069: LRI, RLI, FSI, PDI (isolates).
BIDI_CONTROLS = frozenset(chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# The short form, for a field's inline validation message.
BIDI_REFUSED = N_('No text-direction control characters (U+202A-U+202E, U+2066-U+2069)')


def bidi_controls_in(text: str) -> list[str]:
    """The bidirectional control characters in `text`, as 'U+202E' codes, in order of first appearance."""
    found: list[str] = []
    for char in text:
        code = f'U+{ord(char):04X}'
        if char in BIDI_CONTROLS and code not in found:
            found.append(code)
    return found


def bidi_problem(text: str, what: str = N_('A name')) -> str | None:
    """The sentence refusing `text`, or None when it has no bidirectional control characters. `what` is marked
    with N_ by the caller and translated here."""
    found = bidi_controls_in(text)
    if not found:
        return None
    return _('{what} cannot contain text-direction control characters (here: {found}; refused are U+202A-U+202E '
             'and U+2066-U+2069). They are invisible and change the order of the text around the name. Type the '
             'name again without them; right-to-left letters themselves are fine.').format(what=_(what),
                                                                                           found=', '.join(found))



# One user-perceived character (an extended grapheme cluster, Unicode UAX #29): 'é' written as e + a combining
# accent, a flag, a family emoji joined by zero-width joiners. Python's len() counts code points and the browser's
# String.length UTF-16 units, and both count such a character several times. The standard library has no grapheme
# segmentation; the `regex` package's \X follows the current Unicode rules and is kept up to date with each Unicode
# release.
_GRAPHEME = regex.compile(r'\X')


def characters(text: str) -> int:
    """How many characters a person sees in `text`: grapheme clusters, so an emoji counts once."""
    return len(_GRAPHEME.findall(text))
