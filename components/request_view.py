"""One platform request in full: what was signed and sent, what came back, and the same request as cURL.

Every text here came from a request or an answer (names people typed, whatever the platform or a proxy sent back),
so it is shown as text in a label, never through ui.code or ui.markdown, whose Markdown a body holding ``` would
leave, to be rendered as Markdown.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from nicegui import ui

from services.core.i18n import N_, _, format_number
from services.platform.capture import Body, RequestDetail
from services.platform.curl import REPLAY_NOTE, to_curl
from services.platform.request_queries import RequestEntry

OUTCOME_COLOURS = {'ok': 'positive', 'business': 'warning', 'cancelled': 'grey-7'}
OUTCOME_WORDS = {'ok': N_('OK'), 'business': N_('business error'), 'auth': N_('refused (401)'),
                 'protocol': N_('unexpected answer'), 'timeout': N_('timed out'), 'unreachable': N_('unreachable'),
                 'transport': N_('transport failure'), 'cancelled': N_('cancelled'), 'error': N_('error')}
SIGNED_PARTS = ('method', 'path', 'X-Timestamp', 'X-User-ID', 'canonical query', 'canonical body')


def outcome_words(outcome: str) -> str:
    return _(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome


def when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime('%Y-%m-%d %H:%M:%S')


def size(count: int) -> str:
    if count < 1024:
        return f'{count} B'
    return f'{count / 1024:.1f} KB' if count < 1024 * 1024 else f'{count / 1024 / 1024:.1f} MB'


def outcome_badge(entry: RequestEntry) -> None:
    text = outcome_words(entry.outcome)
    ui.badge(text, color=OUTCOME_COLOURS.get(entry.outcome, 'negative')).classes('text-xs').mark('request-outcome')


def text_block(text: str, *, marker: str, copy: str = '') -> None:
    """Text exactly as it is (white space kept, long lines wrapped), with a copy button when `copy` names it."""
    with ui.row().classes('w-full no-wrap items-start gap-1 bg-slate-100 rounded p-3'):
        ui.label(text).classes('grow min-w-0 font-mono text-xs whitespace-pre-wrap break-all').mark(marker)
        if copy:
            copy_button(text, copy)


def copy_button(text: str, what: str) -> None:
    def copy() -> None:
        ui.clipboard.write(text)
        ui.notify(_('Copied: {what}').format(what=what), type='positive', timeout=1500)

    ui.button(icon='content_copy', on_click=copy).props('flat dense round size=sm') \
        .tooltip(_('Copy: {what}').format(what=what))


def request_view(entry: RequestEntry, attempts: list[RequestEntry]) -> None:
    detail = entry.detail or RequestDetail(entry.method, '', '', {}, Body())
    with ui.column().classes('w-full gap-4').mark('request-detail'):
        with ui.row().classes('items-center gap-3'):
            ui.label(f'{entry.method} {entry.endpoint}').classes('text-xl font-mono font-semibold')
            outcome_badge(entry)
            if entry.http_status is not None:
                ui.label(f'HTTP {entry.http_status}').classes('text-sm text-slate-600')
        _facts(entry, attempts)
        _curl(detail)
        _signed(detail.signed_string)
        _exchange('request', detail.request_headers, detail.request_body)
        _exchange('response', detail.response_headers, detail.response_body)


def _fact(label: str, value: str, *, mono: bool = False, copy: bool = False, marker: str = '') -> None:
    with ui.row().classes('items-center gap-2 no-wrap min-w-0'):
        ui.label(label).classes('text-xs text-slate-500 w-32 shrink-0')
        text = ui.label(value).classes('text-sm break-all ' + ('font-mono' if mono else ''))
        if marker:
            text.mark(marker)
        if copy and value:
            copy_button(value, label)


def _facts(entry: RequestEntry, attempts: list[RequestEntry]) -> None:
    with ui.card().classes('w-full shadow-none border border-slate-200').props('flat'):
        _fact(_('Time (UTC)'), when(entry.at))
        _fact(_('Person'), entry.user_id + (f' ({entry.owner_id})' if entry.owner_id else ''))
        envelope = ' · '.join(str(part) for part in (entry.code, entry.message) if part not in (None, ''))
        _fact(_('Answer'), envelope or _('no envelope'), marker='request-message')
        _fact(_('Duration'), _('{ms} ms').format(ms=format_number(round(entry.duration_ms))))
        _fact(_('Bytes'), _('{sent} sent, {received} received').format(sent=size(entry.request_bytes),
                                                                       received=size(entry.response_bytes)))
        _fact('X-Request-ID', entry.request_id or '', mono=True, copy=True, marker='request-id')
        _fact('traceId', entry.trace_id or _('(none: no envelope came back)'), mono=True, copy=bool(entry.trace_id),
              marker='request-trace-id')
        if entry.clock_offset:
            how = _('corrected in this call after a 401') if entry.resigned else _('learnt from an earlier 401')
            _fact(_('Clock'), _('signed with our clock {offset} s ({how})').format(
                offset=f'{entry.clock_offset:+.0f}', how=how), marker='request-clock')
        if len(attempts) > 1:
            with ui.row().classes('items-center gap-2'):
                ui.label(_('Attempts')).classes('text-xs text-slate-500 w-32 shrink-0')
                for attempt in attempts:
                    label = (_('#{number} re-signed: {outcome}') if attempt.resigned else _('#{number}: {outcome}')) \
                        .format(number=attempt.attempt, outcome=outcome_words(attempt.outcome))
                    if attempt.id == entry.id:
                        ui.label(label).classes('text-sm font-semibold')
                    else:
                        ui.link(label, f'/requests/{attempt.id}').classes('text-sm')


def _curl(detail: RequestDetail) -> None:
    command = to_curl(detail)
    with ui.row().classes('w-full items-center gap-2'):
        ui.label(_('Copy as cURL')).classes('text-lg font-semibold')
        ui.button(_('Copy as cURL'), icon='content_copy', on_click=lambda: _copied(command)) \
            .props('outline dense no-caps').mark('copy-curl')
    ui.label(_(REPLAY_NOTE)).classes('text-sm text-slate-600').mark('replay-note')
    if detail.request_body.multipart:
        ui.label(_('The uploaded file is not kept (it is an image): point @ at your own copy of it. A multipart '
                   'request '
                 'signs an empty body, so curl\'s own multipart boundary signs the same.')).classes('text-sm '
                                                                                                   'text-slate-600')
    elif not detail.request_body.exact:
        ui.label(_('The body was shortened when it was kept (image data or length), so this command does not send '
                 'the signed bytes.')).classes('text-sm text-warning')
    text_block(command, marker='request-curl')


def _copied(command: str) -> None:
    ui.clipboard.write(command)
    ui.notify(_('cURL command copied (API key masked)'), type='positive', timeout=2000)


def _signed(signed_string: str) -> None:
    ui.label(_('Signed string')).classes('text-lg font-semibold')
    ui.label(_('X-Signature is the HMAC-SHA256, keyed with the API secret, of these six lines joined by \\n. '
             'Exact, JSON-quoted:')).classes('text-sm text-slate-600')
    text_block(json.dumps(signed_string, ensure_ascii=False), marker='request-signed', copy=_('signed string'))
    with ui.column().classes('gap-0 w-full'):
        for name, line in zip(SIGNED_PARTS, signed_string.split('\n'), strict=False):
            with ui.row().classes('gap-2 no-wrap text-xs'):
                ui.label(name).classes('text-slate-500 w-32 shrink-0')
                ui.label(line or _('(empty)')).classes('font-mono break-all' + ('' if line else ' text-slate-400'))


def _exchange(side: str, headers: dict[str, str], body: Body) -> None:
    ui.label(_('Request') if side == 'request' else _('Response')).classes('text-lg font-semibold')
    if headers:
        with ui.column().classes('gap-0 w-full'):
            for name, value in headers.items():
                with ui.row().classes('gap-2 no-wrap text-xs'):
                    ui.label(name).classes('text-slate-500 w-48 shrink-0 font-mono')
                    ui.label(value).classes('font-mono break-all')
    elif side == 'response':
        ui.label(_('No answer came back.')).classes('text-sm text-slate-500')
    if body.multipart:
        for part in body.parts:
            if part.filename is not None:
                what = _('file "{name}", {type}').format(name=part.filename, type=part.content_type or _('no type'))
            else:
                what = _('field')
            ui.label(_('multipart field {name}: {what}, {size} (the content is not kept)').format(
                name=part.name, what=what, size=size(part.size))) \
                .classes('text-sm font-mono')
    elif body.text:
        text_block(_pretty(body), marker=f'{side}-body',
                   copy=_('request body') if side == 'request' else _('response body'))
        if body.cut:
            ui.label(_('Only the first part of this {size} body is kept.').format(size=size(body.size))) \
                .classes('text-xs text-slate-500')


def _pretty(body: Body) -> str:
    if body.cut:
        return body.text
    try:
        return json.dumps(json.loads(body.text), indent=2, ensure_ascii=False)
    except ValueError:
        return body.text
