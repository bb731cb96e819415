"""The reference-photo picker's refusals, in words: what the browser refused, and what the server refused.

Quasar's uploader refuses a file in the browser (wrong type for `accept`, over `max-file-size`) with a
`rejected` event, and reports an upload the server refused with `failed`. NiceGUI passes neither event's details
on by default, so every refusal used to read "larger than 10 MB or not a JPEG, PNG or WebP". Here a small
JavaScript handler sends the few facts needed (name, size, type, and the refusal's reason or HTTP status) and the
sentence is chosen on the server, from services/studio/upload_rules.py, the same words the server itself uses.
Nothing the browser sends is shown as it is: it only picks which sentence applies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nicegui import ui

from services.core.i18n import _
from services.studio.upload_rules import picker_refusal, too_large_message

Refused = Callable[[str], Any]

# What each event tells the server: plain numbers and short strings, never the file itself.
_REJECTED_JS = ('(entries) => emit((entries || []).slice(0, 5).map(e => ({'
                'reason: String(e.failedPropValidation || ""), '
                'name: String((e.file && e.file.name) || "").slice(0, 200), '
                'size: Number((e.file && e.file.size) || 0), '
                'type: String((e.file && e.file.type) || "").slice(0, 100)})))')
_FAILED_JS = ('(info) => emit({status: Number((info && info.xhr && info.xhr.status) || 0), '
              'size: ((info && info.files) || []).reduce((n, f) => n + Number(f.size || 0), 0)})')


def guard_picker(upload: ui.upload, *, limit: int, on_refused: Refused) -> ui.upload:
    """Call `on_refused(sentence)` whenever the picker or the server refuses the chosen file."""
    upload.on('rejected', lambda event: on_refused(rejected_message(event.args, limit)), js_handler=_REJECTED_JS)
    upload.on('failed', lambda event: on_refused(failed_message(event.args, limit)), js_handler=_FAILED_JS)
    return upload


def rejected_message(args: Any, limit: int) -> str:
    entries = _entries(args)
    if not entries:
        return picker_refusal('', 0, '', '', limit)
    first = entries[0]
    return picker_refusal(str(first.get('name', '')), _int(first.get('size')), str(first.get('type', '')),
                          str(first.get('reason', '')), limit)


def failed_message(args: Any, limit: int) -> str:
    facts = _entries(args)[0] if _entries(args) else {}
    status, size = _int(facts.get('status')), _int(facts.get('size'))
    if status == 413:
        return too_large_message(size or None, limit)
    if status == 401:
        return _('Your session has ended, so the photo was not taken. Sign in again and choose it once more.')
    if status == 0:
        return _('The connection dropped while the photo was on its way. Check the connection and choose it '
                 'again.')
    return _('The photo could not be sent (the server answered {status}). Try again in a moment.').format(status=status)


def _entries(args: Any) -> list[dict[str, Any]]:
    """The event's payload as a list of dicts, however NiceGUI wrapped it (one argument, or a list of them)."""
    if isinstance(args, dict):
        return [args]
    if isinstance(args, list):
        if len(args) == 1 and isinstance(args[0], list):
            args = args[0]
        return [entry for entry in args if isinstance(entry, dict)]
    return []


def _int(value: Any) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0

