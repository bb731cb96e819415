"""/admin: the audit log for administrators — filter, page through, export as CSV."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import Response
from nicegui import app, ui

from components.bidi import isolated, name_label, visible_controls
from components.theme import frame
from pages.admin_budgets import budgets_view
from runtime import runtime
from services.auth.names import display_user_id
from services.auth.sessions import Principal, Session
from services.core.audit import EXPORTED, SESSION_ENDED, AuditEntry, AuditLog, AuditQuery, format_time
from services.core.db import DatabaseUnavailable
from services.core.i18n import N_, _, ngettext

PAGE_SIZE = 50


def setup() -> None:
    app.add_api_route('/admin/audit.csv', audit_csv, methods=['GET'], include_in_schema=False)
    ui.page('/admin')(admin_page)


def _audit() -> AuditLog:
    return runtime.audit


def parse_day(text: str, *, end: bool = False) -> float | None:
    """'2026-11-21' -> the start of that day in UTC (or of the next day, for an inclusive 'to' date)."""
    text = (text or '').strip()
    if not text:
        return None
    try:
        day = datetime.strptime(text, '%Y-%m-%d').replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(_('{text} is not a date like 2026-11-21').format(text=repr(text))) from None
    return (day + timedelta(days=1) if end else day).timestamp()


def query_from(actor: str = '', event: str = '', text: str = '', since: str = '', until: str = '') -> AuditQuery:
    return AuditQuery(actor=actor.strip(), event=event.strip(), text=text.strip(), since=parse_day(since),
                      until=parse_day(until, end=True))


async def audit_csv(request: Request, actor: str = '', event: str = '', text: str = '', since: str = '',
                    until: str = '') -> Response:
    principal: Principal | None = getattr(request.state, 'principal', None)  # set by the access middleware
    if principal is None or not principal.is_admin:
        raise HTTPException(status_code=403, detail=_('Only administrators may export the audit log.'))
    try:
        query = query_from(actor, event, text, since, until)
    except ValueError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    body = await asyncio.to_thread(_audit().export_csv, query)
    stamp = datetime.now(UTC).strftime('%Y%m%d-%H%M%S')
    _audit().record(EXPORTED, actor=principal.user_id, detail=f'CSV export ({_describe(query)})')
    return Response(body, media_type='text/csv; charset=utf-8', headers={
        'Content-Disposition': f'attachment; filename="audit-{stamp}.csv"', 'Cache-Control': 'no-store'})


def _describe(query: AuditQuery) -> str:
    parts = [f'{name}={value}' for name, value in (('actor', query.actor), ('event', query.event),
                                                   ('text', query.text)) if value]
    return ', '.join(parts) or 'all entries'


def _row(entry: AuditEntry) -> dict[str, object]:
    # A log shows text exactly, so a direction control in a name (an agent made elsewhere) is shown, not obeyed.
    return {'id': entry.id, 'at': format_time(entry.at), 'event': entry.event, 'actor': _who(entry.actor),
            'detail': visible_controls(entry.detail), 'trace_id': entry.trace_id or ''}


def _who(user_id: str) -> str:
    """An X-User-ID as a person reads it: a non-ASCII account's name next to its Punycode id."""
    name = display_user_id(user_id)
    return visible_controls(user_id if name == user_id else f'{name} ({user_id})')


COLUMNS = [
    {'name': 'at', 'label': N_('Time (UTC)'), 'field': 'at', 'align': 'left'},
    {'name': 'event', 'label': N_('Event'), 'field': 'event', 'align': 'left'},
    {'name': 'actor', 'label': N_('Who'), 'field': 'actor', 'align': 'left'},
    {'name': 'detail', 'label': N_('Detail'), 'field': 'detail', 'align': 'left', 'classes': 'whitespace-normal'},
    {'name': 'trace_id', 'label': 'traceId', 'field': 'trace_id', 'align': 'left', 'classes': 'font-mono'},
]


def columns() -> list[dict[str, str]]:
    return [{**column, 'label': _(column['label'])} for column in COLUMNS]


async def admin_page() -> None:
    session = runtime.auth.current_session()
    with frame(_('Audit log')):
        ui.label(_('Audit log')).classes('text-2xl font-bold')
        if session is None or not session.principal.is_admin:
            ui.context.client.status_code = 403
            ui.label(_('Only administrators can see the audit log.')).classes('text-negative').mark('admin-forbidden')
            return
        await _sessions_view(session)
        await budgets_view(session)
        await _audit_view()


MODE_NAMES = {'account': N_('tool account'), 'byok': N_('own key'), 'demo': N_('sandbox demo')}


async def _sessions_view(mine: Session) -> None:
    """Who is signed in now, on every instance, with a way to end a session (a lost laptop, a departed colleague)."""

    @ui.refreshable
    async def listing() -> None:
        try:
            sessions = await runtime.sessions.list_all()
        except DatabaseUnavailable as unavailable:
            ui.label(unavailable.user_message).classes('text-sm text-orange-9').mark('active-sessions')
            return
        with ui.expansion(_('Signed in now: {count}').format(count=len(sessions)), icon='group').classes('w-full') \
                .props('dense header-class="text-base"').mark('active-sessions'):
            for other in sessions:
                with ui.row().classes('items-center gap-3 w-full text-sm no-wrap').mark('active-session'):
                    name_label(_who(other['user_id'])).classes('font-medium min-w-[8rem]')
                    ui.label(_(MODE_NAMES[other['mode']])).classes('text-slate-600 min-w-[7rem]')
                    tabs = runtime.sessions.tabs_of_key(other['sid_hash'])
                    since = _('since {since} · active {active} UTC').format(since=format_time(other['created_at']),
                                                                          active=format_time(other['last_seen']))
                    here = ngettext('{count} tab here', '{count} tabs here', tabs).format(count=tabs) if tabs else ''
                    ui.label(' · '.join(part for part in (since, here) if part)).classes('text-slate-500 grow')
                    if other['sid_hash'] == mine.key:
                        ui.label(_('this session')).classes('text-xs text-slate-500')
                    else:
                        # Only the table's key (a hash) is at hand here; the session id never leaves the server.
                        ui.button(_('End'), on_click=lambda key=other['sid_hash']: end(key)) \
                            .props('flat dense no-caps color=negative').mark('end-session')

    async def end(key: str) -> None:
        try:
            ended = await runtime.sessions.end_key(key, 'ended by an administrator')
        except DatabaseUnavailable as unavailable:
            ui.notify(unavailable.user_message, type='warning')
            return
        if ended is not None:
            _audit().record(SESSION_ENDED, actor=mine.principal.user_id,
                            detail=f'ended the session of {ended["user_id"]} ({MODE_NAMES[ended["mode"]]})')
            ui.notify(_('Signed {name} out.').format(name=isolated(_who(ended['user_id']))), type='positive')
        listing.refresh()

    await listing()


async def _audit_view() -> None:

    state = {'offset': 0, 'total': 0}
    with ui.row().classes('w-full items-end gap-3'):
        actor = ui.input(_('Who (contains)')).props('clearable dense').mark('filter-actor')
        events = [''] + await asyncio.to_thread(_audit().events)
        event = ui.select({e: e or _('any event') for e in events}, value='', label=_('Event')) \
            .props('dense').classes('min-w-[10rem]').mark('filter-event')
        text = ui.input(_('Search detail / traceId')).props('clearable dense').mark('filter-text')
        since = ui.input(_('From'), placeholder=_('YYYY-MM-DD')).props('dense clearable').classes('w-36') \
            .mark('filter-since')
        until = ui.input(_('To'), placeholder=_('YYYY-MM-DD')).props('dense clearable').classes('w-36') \
            .mark('filter-until')
        ui.button(_('Apply'), icon='filter_alt', on_click=lambda: load(reset=True)).mark('filter-apply')
        ui.button(_('Export CSV'), icon='download', on_click=lambda: export()).props('outline').mark('audit-export')
    problem = ui.label().classes('text-negative text-sm').mark('filter-problem')
    table = ui.table(columns=columns(), rows=[], row_key='id').classes('w-full') \
        .props(f'flat dense wrap-cells no-data-label="{_("No entries match.")}"')
    table.props('hide-pagination :pagination="{rowsPerPage: 0}"')
    with ui.row().classes('items-center gap-2'):
        previous = ui.button(icon='chevron_left', on_click=lambda: page(-1)).props('flat round').mark('page-prev')
        position = ui.label().mark('page-position')
        following = ui.button(icon='chevron_right', on_click=lambda: page(1)).props('flat round').mark('page-next')

    def current_query() -> AuditQuery | None:
        try:
            query = query_from(actor.value or '', event.value or '', text.value or '', since.value or '',
                               until.value or '')
        except ValueError as error:
            problem.set_text(f'{error}.')
            return None
        problem.set_text('')
        return query

    async def load(*, reset: bool = False) -> None:
        query = current_query()
        if query is None:
            return
        if reset:
            state['offset'] = 0
        total, entries = await asyncio.to_thread(
            lambda: (_audit().count(query), _audit().search(query, limit=PAGE_SIZE, offset=state['offset'])))
        state['total'] = total
        table.rows = [_row(e) for e in entries]
        table.update()
        first = state['offset'] + 1 if entries else 0
        position.set_text(_('{first}–{last} of {total}').format(first=first, last=state['offset'] + len(entries),
                                                                total=total) if total else _('No entries match.'))
        previous.set_enabled(state['offset'] > 0)
        following.set_enabled(state['offset'] + PAGE_SIZE < total)

    async def page(step: int) -> None:
        state['offset'] = max(0, state['offset'] + step * PAGE_SIZE)
        await load()

    def export() -> None:
        query = current_query()
        if query is None:
            return
        params = {'actor': actor.value or '', 'event': event.value or '', 'text': text.value or '',
                  'since': since.value or '', 'until': until.value or ''}
        ui.download.from_url('/admin/audit.csv?' + urlencode({k: v for k, v in params.items() if v}))

    for field in (actor, text, since, until):
        field.on('keydown.enter', lambda: load(reset=True))
    event.on_value_change(lambda: load(reset=True))
    await load()
