"""Access control: every route needs a signed-in session, except the sign-in page and what it is built from.

Follows NiceGUI's examples/authentication: an HTTP middleware looks up the session id kept in
`app.storage.user`. Page routes send a visitor to `/login?redirect_to=<where they were going>`; every other
route (media, downloads, uploads, API) answers 401, so a copied URL never serves anything to a stranger.

A session can also end while tabs are open (signed out in another tab or on another instance, idle timeout,
account removed or password changed from the command line). Every connected tab is remembered with its session
id; when the session ends, here or on another instance (the change notifier tells the session store), those tabs
are sent to the sign-in page at once, and a sweep every few seconds catches anything that ended without telling
us. A browser that comes back with an ended session is told on the sign-in page why it has to sign in again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from urllib.parse import quote, urlencode

from fastapi import FastAPI
from nicegui import Client, app, background_tasks
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Match, Route

from sandbox.embedded import MOUNT_PATH as SANDBOX_MOUNT
from services.auth.sessions import SESSION_KEY, UNREADABLE, Session, SessionStore
from services.auth.signin import SignIn
from services.core.db import DatabaseUnavailable
from services.core.drain import NEW_PAGE_MESSAGE, NEW_PAGE_RETRY_AFTER, Drain
from services.core.loop import call_on_app_loop

log = logging.getLogger(__name__)

LOGIN_PATH = '/login'
SWEEP_SECONDS = 2.0

# NiceGUI's own assets and websocket, the favicon, and the sandbox (which checks request signatures itself).
PUBLIC_PATHS = {LOGIN_PATH, '/favicon.ico', SANDBOX_MOUNT}
PUBLIC_PREFIXES = ['/_nicegui/', '/_nicegui_ws/', f'{SANDBOX_MOUNT}/', '/static/']
# ...but these NiceGUI routes serve per-client content (uploads, auto-served files): they need a session too.
CLIENT_PREFIX = '/_nicegui/client/'
PROTECTED_PREFIXES = [CLIENT_PREFIX, '/_nicegui/auto/']
# Plain routes a person navigates to (like '/', which redirects to the studio): they redirect like pages do.
NAVIGABLE_PATHS = {'/'}


def allow_public(prefix: str) -> None:
    """Let another module serve something without a session (only assets that are the same for everyone)."""
    if prefix not in PUBLIC_PREFIXES:
        PUBLIC_PREFIXES.append(prefix)


def allow_public_path(path: str) -> None:
    """Let another module serve one exact path without a session (health checks)."""
    PUBLIC_PATHS.add(path)


def is_public(path: str) -> bool:
    if any(path.startswith(prefix) for prefix in PROTECTED_PREFIXES):
        return False
    return path in PUBLIC_PATHS or any(path.startswith(prefix) for prefix in PUBLIC_PREFIXES)


def safe_redirect_target(target: str | None, default: str = '/') -> str:
    """Only a path on this site: never `//evil.example`, a scheme, or a backslash trick (open redirects)."""
    if not target or not target.startswith('/') or target.startswith('//') or '\\' in target \
            or any(ord(c) < 32 for c in target):
        return default
    if target == LOGIN_PATH or target.startswith(LOGIN_PATH + '?'):
        return default
    return target


def login_url(target: str, reason: str = '') -> str:
    query = {}
    target = safe_redirect_target(target, '')
    if target and target != '/':
        query['redirect_to'] = target
    if reason:
        query['reason'] = reason
    return LOGIN_PATH + ('?' + urlencode(query, quote_via=quote, safe='/') if query else '')


# Why a session ended (sessions.py, signin.py) -> the `reason` the sign-in page explains (pages/login.py).
ENDED_REASONS = {'expired': 'expired', 'ended by an administrator': 'ended-by-admin',
                 'the password was changed': 'account-changed', 'the account was removed': 'account-changed',
                 UNREADABLE: 'not-restored'}


def login_reason(ended: str | None) -> str:
    """What the sign-in page says about a session that ended ('' for a browser that never had one)."""
    if not ended:
        return ''
    return ENDED_REASONS.get(ended, 'signed-out')


def _owns_client(request: Request, path: str) -> bool:
    client_id = path[len(CLIENT_PREFIX):].split('/', 1)[0]
    client = Client.instances.get(client_id)
    if client is None:
        return True  # NiceGUI answers 404 itself
    try:
        return client.request.session.get('id') == request.session.get('id')
    except (RuntimeError, AssertionError):
        return False


def _is_page_route(request: Request) -> bool:
    if request.url.path in NAVIGABLE_PATHS:
        return True
    page_paths = set(Client.page_routes.values())
    for route in app.routes:
        if isinstance(route, Route) and route.path in page_paths:
            match, _ = route.matches(request.scope)
            if match == Match.FULL:
                return True
    return False


class AccessControl:
    """The middleware and the watch over open tabs, for one sign-in service and its session table."""

    def __init__(self, signin: SignIn, sessions: SessionStore, drain: Drain | None = None) -> None:
        self.signin = signin
        self.sessions = sessions
        self.drain = drain

    def setup(self, fastapi_app: FastAPI) -> None:
        """Register the middleware and the tab watch; main() calls this once per app."""
        fastapi_app.add_middleware(BaseHTTPMiddleware, dispatch=self._dispatch)
        app.on_connect(self._remember_tab)
        app.on_delete(self._forget_tab)
        app.on_startup(lambda: background_tasks.create(self._sweep_forever(), name='session sweep'))
        self.sessions.on_end(self._on_session_end)

    def refuses_new_page(self, request: Request) -> bool:
        """A draining instance takes no new page loads: a page built now would lose its websocket when the
        instance exits. Only page loads (GET/HEAD of a page route, the sign-in page included): the websockets,
        media, uploads and events of pages already open here keep working until the drain ends."""
        return self.drain is not None and self.drain.draining and request.method in ('GET', 'HEAD') \
            and (request.url.path == LOGIN_PATH or _is_page_route(request))

    async def _dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        path = request.url.path
        if self.refuses_new_page(request):
            # 503 + Retry-After: nginx retries an idempotent request on the next instance (proxy_next_upstream
            # http_503), so the visitor lands there; a browser with nowhere else to go is told to reload.
            return PlainTextResponse(NEW_PAGE_MESSAGE, status_code=503, headers={
                'Retry-After': str(NEW_PAGE_RETRY_AFTER), 'Cache-Control': 'no-store'})
        if path == LOGIN_PATH:
            # The sign-in page sends a browser that is signed in already on to where it was going; after a restart
            # or on another instance its session is only in the table.
            with contextlib.suppress(DatabaseUnavailable):
                await self.signin.load_session(self.signin.current_sid())
        if is_public(path):
            return await call_next(request)
        sid = self.signin.current_sid()
        try:
            # From the table when this instance does not hold the session yet, so that page code after this
            # (synchronous `current_session()`) finds it in memory.
            session = await self.signin.load_session(sid)
        except DatabaseUnavailable as unavailable:
            return PlainTextResponse(unavailable.user_message, status_code=503, headers={
                'Retry-After': str(round(unavailable.retry_after)), 'Cache-Control': 'no-store'})
        if session is None:
            if _is_page_route(request):
                target = path + (f'?{request.url.query}' if request.url.query else '')
                return RedirectResponse(login_url(target, login_reason(self.sessions.ended_reason(sid))),
                                        status_code=303)
            return JSONResponse({'detail': 'Sign in first.'}, status_code=401,
                                headers={'Cache-Control': 'no-store'})
        if path.startswith(CLIENT_PREFIX) and not _owns_client(request, path):
            # A tab's upload endpoint belongs to the browser that opened the tab, even among signed-in people.
            return JSONResponse({'detail': 'This belongs to another browser.'}, status_code=403)
        request.state.principal = session.principal
        response = await call_next(request)
        # Pages and per-user files must not linger in shared caches or be reused after signing out.
        response.headers.setdefault('Cache-Control', 'no-store')
        return response

    # --- tabs of a session -----------------------------------------------------------------------------------

    def _remember_tab(self, client: Client) -> None:
        sid = app.storage.user.get(SESSION_KEY)
        if sid and self.sessions.peek(sid) is not None:
            self.sessions.attach_tab(client.id, sid)

    def _forget_tab(self, client: Client) -> None:
        self.sessions.detach_tab(client.id)

    def _send_to_login(self, client_ids: list[str], reason: str) -> None:
        for client_id in client_ids:
            self.sessions.detach_tab(client_id)
            client = Client.instances.get(client_id)
            if client is None or client.is_deleted:
                continue
            # The tab's page is gone with its session: off to the sign-in page, and back to where it was after.
            try:
                request: Request | None = client.request
            except RuntimeError:
                request = None
            target = request.url.path + (f'?{request.url.query}' if request.url.query else '') if request else '/'
            client.open(login_url(target, reason))

    def _on_session_end(self, session: Session, reason: str) -> None:
        client_ids = self.sessions.tabs_of(session.sid)
        if not client_ids:
            return
        call_on_app_loop(self._send_to_login, client_ids, login_reason(reason))

    def sweep(self) -> None:
        """Send tabs whose session ended without notice (idle timeout, account changed) to the sign-in page."""
        for client_id, sid in self.sessions.tabs():
            if client_id not in Client.instances:
                self.sessions.detach_tab(client_id)
                continue
            session = self.sessions.peek(sid)  # peek: watching a tab is not activity, so it never keeps it alive
            if session is None:
                self._send_to_login([client_id], login_reason(self.sessions.ended_reason(sid)) or 'expired')
            elif self.signin.session_problem(session):
                self.signin.confirm_problem(sid)  # once ended, its listener sends every tab of the session away

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                self.sweep()
            except Exception:
                log.exception('session sweep failed')
