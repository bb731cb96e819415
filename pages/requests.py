"""/requests: the request inspector. Every call the studio made to the platform, for integrators and operators.

A person sees their own requests, an administrator everyone's; who sees what is decided by the queries
(services/platform/request_queries.py, `owner`), never by hiding rows here. The list updates itself: the request
log tells this page when it has written entries of the person (in this instance), and a slow check of the newest
id catches entries other instances wrote. /requests/<id> shows one request in full, with Copy as cURL;
/requests/trace/<traceId> is where an error box links to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nicegui import Client, ui

from components.request_view import OUTCOME_WORDS, outcome_words, request_view, size, when
from components.theme import frame
from runtime import runtime
from services.auth.sessions import Principal
from services.core.i18n import N_, _, format_number
from services.platform.request_queries import STATUS_CHOICES, RequestEntry, RequestQuery

PAGE_SIZE = 50
POLL_SECONDS = 5.0  # the fallback check for entries this instance was not told of
WINDOWS = {'': N_('any time'), '15m': N_('last 15 minutes'), '1h': N_('last hour'), '24h': N_('last 24 hours'),
           '7d': N_('last 7 days')}
WINDOW_SECONDS = {'15m': 900, '1h': 3600, '24h': 86400, '7d': 7 * 86400}
STATUS_LABELS = {'': N_('any status'), 'ok': N_('OK'), 'error': N_('any error'),
                 **{name: OUTCOME_WORDS.get(name, name) for name in STATUS_CHOICES if name not in ('', 'ok', 'error')}}


def setup() -> None:
    ui.page('/requests')(requests_page)
    ui.page('/requests/trace/{trace_id}')(request_by_trace_page)
    ui.page('/requests/{entry_id}')(request_page)


def _viewer() -> tuple[Principal | None, str | None]:
    """Who is looking, and whose requests they may see (None: everyone's, for administrators)."""
    principal = runtime.auth.current_principal()
    if principal is None:
        return None, ''
    return principal, None if principal.is_admin else principal.owner_id


def parse_time(text: str, *, end: bool = False) -> float | None:
    """'2026-11-21' or '2026-11-21 14:05' in UTC; a 'to' date alone means the end of that day."""
    text = (text or '').strip()
    if not text:
        return None
    for layout, step in (('%Y-%m-%d %H:%M', timedelta(minutes=1)), ('%Y-%m-%d', timedelta(days=1))):
        try:
            moment = datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
        return (moment + step if end else moment).timestamp()
    raise ValueError(_('{text} is not a time like 2026-11-21 or 2026-11-21 14:05').format(text=repr(text)))


def _row(entry: RequestEntry, *, admin: bool) -> dict[str, object]:
    status = str(entry.http_status) if entry.http_status is not None else '—'
    return {'id': entry.id, 'at': when(entry.at), 'person': entry.user_id if admin else '',
            'endpoint': entry.endpoint, 'status': status, 'outcome': outcome_words(entry.outcome),
            'failed': entry.failed, 'code': '' if entry.code is None else entry.code, 'message': entry.message or '',
            'duration': _('{ms} ms') \
                .format(ms=format_number(round(entry.duration_ms))), 'bytes': f'{size(entry.request_bytes)} / '
                                                                 f'{size(entry.response_bytes)}',
            'attempt': entry.attempt, 'trace_id': entry.trace_id or '', 'request_id': entry.request_id or ''}


def _columns(admin: bool) -> list[dict[str, object]]:
    columns: list[tuple[str, str]] = [('at', N_('Time (UTC)')), ('person', N_('Person')), ('endpoint', N_('Endpoint')),
                                      ('status', 'HTTP'), ('outcome', N_('Outcome')), ('code', N_('Code')),
                                      ('message', N_('Message')), ('duration', N_('Duration')),
                                      ('bytes', N_('Sent / received')), ('attempt', N_('Try')), ('trace_id', 'traceId')]
    return [{'name': name, 'label': _(label) if label not in ('HTTP', 'traceId') else label, 'field': name,
             'align': 'left',
             **({'classes': 'font-mono text-xs'} if name in ('trace_id', 'endpoint') else {})}
            for name, label in columns if admin or name != 'person']


async def requests_page(endpoint: str = '', status: str = '', person: str = '', q: str = '', window: str = '',
                        since: str = '', until: str = '') -> None:
    principal, owner = _viewer()
    with frame(_('Requests')):
        if principal is None:
            return
        admin = owner is None
        ui.label(_('Requests')).classes('text-2xl font-bold')
        days = f'{runtime.settings.request_log_days:g}'
        ui.label((_('Every request the studio signed and sent to the platform, for everyone. Kept {days} days. Open '
                    'one for its signed string, headers, bodies and Copy as cURL.') if admin else
                  _('Every request the studio signed and sent to the platform for you. Kept {days} days. Open one '
                    'for its signed string, headers, bodies and Copy as cURL.')).format(days=days)) \
                        .classes('text-sm text-slate-600')
        if not runtime.requests.enabled:
            ui.label(_('The request log is turned off on this server (STUDIO_REQUEST_LOG_ROWS=0).')) \
                .classes('text-warning')
            return
        await RequestList(owner, admin).build(endpoint=endpoint, status=status, person=person, text=q,
                                              window=window, since=since, until=until)


class RequestList:
    """The list of one page: filters, the errors of the last 24 hours, the table, paging, live updates."""

    def __init__(self, owner: str | None, admin: bool) -> None:
        self.owner = owner
        self.admin = admin
        self.offset = 0
        self.seen_id = -1
        self.dirty = False
        self.client: Client = ui.context.client

    async def build(self, **initial: str) -> None:
        self.errors_box = ui.column().classes('w-full gap-1').mark('error-groups')
        endpoints = [''] + await runtime.requests.endpoints(self.owner)
        if initial['endpoint'] and initial['endpoint'] not in endpoints:
            endpoints.append(initial['endpoint'])
        with ui.row().classes('w-full items-end gap-3'):
            self.endpoint = ui.select({e: e or _('any endpoint') for e in endpoints}, value=initial['endpoint'],
                                      label=_('Endpoint')).props('dense').classes('min-w-[12rem]').mark('filter-endpoint')
            status = initial['status'] if initial['status'] in STATUS_LABELS or initial['status'].isdigit() else ''
            labels = {**{key: _(label) for key, label in STATUS_LABELS.items()},
                      **({status: f'HTTP {status}'} if status.isdigit() else {})}
            self.status = ui.select(labels, value=status, label=_('Status')).props('dense').classes('min-w-[9rem]') \
                .mark('filter-status')
            self.person = ui.input(_('Person'), value=initial['person']).props('dense clearable') \
                .mark('filter-person')
            self.person.set_visibility(self.admin)
            self.text = ui.input(_('traceId, request id or message'), value=initial['text']) \
                .props('dense clearable').classes('min-w-[16rem]').mark('filter-text')
            window = initial['window'] if initial['window'] in WINDOWS else ''
            self.window = ui.select({key: _(label) for key, label in WINDOWS.items()}, value=window, label=_('Time')) \
                .props('dense').mark('filter-window')
            self.since = ui.input(_('From (UTC)'), value=initial['since'], placeholder=_('YYYY-MM-DD [HH:MM]')) \
                .props('dense clearable').classes('w-40').mark('filter-since')
            self.until = ui.input(_('To (UTC)'), value=initial['until'], placeholder=_('YYYY-MM-DD [HH:MM]')) \
                .props('dense clearable').classes('w-40').mark('filter-until')
            ui.button(_('Apply'), icon='filter_alt', on_click=lambda: self.load(reset=True)).mark('filter-apply')
            self.live = ui.switch(_('Live'), value=True).mark('requests-live')
        self.problem = ui.label().classes('text-negative text-sm').mark('filter-problem')
        self.table = ui.table(columns=_columns(self.admin), rows=[], row_key='id').classes('w-full') \
            .props('flat dense wrap-cells hide-pagination :pagination="{rowsPerPage: 0}"') \
            .props(f'no-data-label="{_("No requests match.")}"').mark('requests-table')
        self.table.add_slot('body-cell-outcome', '''
            <q-td :props="props"><q-badge :color="props.row.failed ? 'negative' : 'positive'"
                :label="props.value" /></q-td>''')
        self.table.on('rowClick', lambda e: ui.navigate.to(f'/requests/{e.args[1]["id"]}'))
        with ui.row().classes('items-center gap-2'):
            self.previous = ui.button(icon='chevron_left', on_click=lambda: self.page(-1)) \
                .props('flat round').mark('page-prev')
            self.position = ui.label().mark('page-position')
            self.following = ui.button(icon='chevron_right', on_click=lambda: self.page(1)) \
                .props('flat round').mark('page-next')
        for field in (self.person, self.text, self.since, self.until):
            field.on('keydown.enter', lambda: self.load(reset=True))
        for choice in (self.endpoint, self.status, self.window):
            choice.on_value_change(lambda: self.load(reset=True))
        unsubscribe = runtime.requests.subscribe(self._written)
        self.client.on_delete(unsubscribe)
        ui.timer(1.0, self._tick)
        ui.timer(POLL_SECONDS, self._poll)
        await self.load()

    def query(self) -> RequestQuery | None:
        try:
            since = parse_time(self.since.value or '')
            until = parse_time(self.until.value or '', end=True)
        except ValueError as error:
            self.problem.set_text(f'{error}.')
            return None
        self.problem.set_text('')
        if self.window.value in WINDOW_SECONDS:
            recent = datetime.now(UTC).timestamp() - WINDOW_SECONDS[self.window.value]
            since = max(since or recent, recent)
        return RequestQuery(owner=self.owner, endpoint=self.endpoint.value or '', status=self.status.value or '',
                            person=(self.person.value or '') if self.admin else '', text=self.text.value or '',
                            since=since, until=until)

    async def load(self, *, reset: bool = False) -> None:
        query = self.query()
        if query is None:
            return
        if reset:
            self.offset = 0
        total, entries = await runtime.requests.search(query, limit=PAGE_SIZE, offset=self.offset)
        self.seen_id = max([self.seen_id, *(entry.id for entry in entries)])
        self.table.rows = [_row(entry, admin=self.admin) for entry in entries]
        self.table.update()
        first = self.offset + 1 if entries else 0
        self.position.set_text(_('{first}–{last} of {total}').format(first=first, last=self.offset + len(entries),
                                                                     total=total) if total else
                               _('No requests match.'))
        self.previous.set_enabled(self.offset > 0)
        self.following.set_enabled(self.offset + PAGE_SIZE < total)
        await self.show_errors()

    async def page(self, step: int) -> None:
        self.offset = max(0, self.offset + step * PAGE_SIZE)
        await self.load()

    async def show_errors(self) -> None:
        groups = await runtime.requests.error_groups(self.owner, hours=24)
        self.errors_box.clear()
        with self.errors_box:
            if not groups:
                ui.label(_('No failed requests in the last 24 hours.')).classes('text-sm text-slate-500') \
                    .mark('no-errors')
                return
            ui.label(_('Errors in the last 24 hours, by endpoint and message')).classes('font-semibold')
            for group in groups:
                with ui.row().classes('items-center gap-3 text-sm no-wrap w-full').mark('error-group'):
                    ui.badge(str(group.count), color='negative')
                    ui.label(group.endpoint).classes('font-mono text-xs shrink-0')
                    ui.label(group.message or '(no message)').classes('grow break-words')
                    ui.link(_('last {time}').format(time=when(group.last_at)), f'/requests/{group.last_id}') \
                        .classes('text-xs shrink-0')

    # --- live updates ------------------------------------------------------------------------------------------

    def _written(self, owners: frozenset[str]) -> None:
        """The request log wrote entries of these people (on the loop): mark this page behind if they concern it."""
        if self.owner is None or self.owner in owners:
            self.dirty = True

    async def _tick(self) -> None:
        if self.dirty and self.live.value and self.offset == 0 and not self.client.is_deleted:
            self.dirty = False
            await self.load()

    async def _poll(self) -> None:
        if self.live.value and self.offset == 0 and await runtime.requests.latest_id(self.owner) > self.seen_id:
            self.dirty = True


async def request_page(entry_id: str) -> None:
    principal, owner = _viewer()
    with frame(_('Request')):
        if principal is None:
            return
        ui.link(_('← All requests'), '/requests').classes('text-sm')
        entry = await runtime.requests.get(int(entry_id), owner) if entry_id.isdigit() else None
        if entry is None:
            # The same answer for "no such request" and "someone else's": an id tells nothing about others.
            ui.label(_('There is no such request in your request log (it may have been pruned).')) \
                .classes('text-slate-600').mark('request-not-found')
            return
        request_view(entry, await runtime.requests.attempts(entry.call_id, owner))


async def request_by_trace_page(trace_id: str) -> None:
    principal, owner = _viewer()
    if principal is not None:
        entry_id = await runtime.requests.by_trace(trace_id, owner)
        if entry_id is not None:
            await request_page(str(entry_id))
            return
    with frame(_('Request')):
        if principal is None:
            return
        ui.link(_('← All requests'), '/requests').classes('text-sm')
        ui.label(_('No request with traceId {trace_id} is in your request log.').format(trace_id=trace_id)) \
            .classes('text-slate-600') \
            .mark('request-not-found')
