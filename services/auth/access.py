"""Access control: every route needs a signed-in session, except the sign-in page and what it is built from.

Follows NiceGUI's examples/authentication: an HTTP middleware looks up the session id kept in
`app.storage.user`. Page routes send a visitor to `/login?redirect_to=<where they were going>`; every other
route (media, downloads, uploads, API) answers 401, so a copied URL never serves anything to a stranger.

A session can also end while tabs are open (signed out in another tab, idle timeout, account removed or
password changed from the command line). Every connected tab is remembered with its session id; when the
session ends those tabs are sent to the sign-in page at once, and a sweep every few seconds catches anything
that ended without telling us.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import quote, urlencode

from nicegui import Client, app, background_tasks, core
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Route

from runtime import SANDBOX_MOUNT
from services.auth.sessions import SESSION_KEY, Session, store
from services.auth.signin import session_problem, valid_session

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


def current_session() -> Session | None:
    """The session of the browser behind the current request or UI event, if it is still valid."""
    return valid_session(app.storage.user.get(SESSION_KEY))


async def _dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
    path = request.url.path
    if is_public(path):
        return await call_next(request)
    session = current_session()
    if session is None:
        if _is_page_route(request):
            target = path + (f'?{request.url.query}' if request.url.query else '')
            return RedirectResponse(login_url(target), status_code=303)
        return JSONResponse({'detail': 'Sign in first.'}, status_code=401, headers={'Cache-Control': 'no-store'})
    if path.startswith(CLIENT_PREFIX) and not _owns_client(request, path):
        # A tab's upload endpoint belongs to the browser that opened the tab, even among signed-in people.
        return JSONResponse({'detail': 'This belongs to another browser.'}, status_code=403)
    request.state.principal = session.principal
    response = await call_next(request)
    # Pages and per-user files must not linger in shared caches or be reused after signing out.
    response.headers.setdefault('Cache-Control', 'no-store')
    return response


# --- tabs of a session ---------------------------------------------------------------------------------------


def _remember_tab(client: Client) -> None:
    sid = app.storage.user.get(SESSION_KEY)
    if sid and store.peek(sid) is not None:
        store.attach_tab(client.id, sid)


def _forget_tab(client: Client) -> None:
    store.detach_tab(client.id)


def tabs_of(sid: str) -> list[str]:
    return store.tabs_of(sid)


def _send_to_login(client_ids: list[str], reason: str) -> None:
    for client_id in client_ids:
        store.detach_tab(client_id)
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


def _on_session_end(session: Session, reason: str) -> None:
    client_ids = tabs_of(session.sid)
    if not client_ids:
        return
    _on_event_loop(_send_to_login, client_ids, 'expired' if reason == 'expired' else 'signed-out')


def _on_event_loop(function: Callable[..., None], *args: object) -> None:
    """Run on NiceGUI's event loop (outboxes and job tasks belong to it); skip if no app loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # ended from a worker thread, or outside the app (a test's set-up, the CLI)
        loop = core.loop
        if loop is not None and loop.is_running() and not loop.is_closed():
            loop.call_soon_threadsafe(function, *args)
        return
    function(*args)


def _drop_own_key_work(session: Session, reason: str) -> None:
    """A person's own key is forgotten on sign-out, so their covers still generating with it are cancelled
    (they can be regenerated). An agent creation in flight is left to finish, so no agent is orphaned."""
    principal = session.principal
    if principal.mode != 'byok' or store.sessions_for(principal.owner_id):
        return
    from services.studio.jobs import get_jobs  # late: the job layer is the studio's and is created on first use

    def cancel() -> None:
        jobs = get_jobs()
        for job in jobs.jobs_for(principal.owner_id, 'cover'):
            if job.running:
                jobs.cancel(principal.owner_id, job.id)

    _on_event_loop(cancel)


def sweep() -> None:
    """Send tabs whose session ended without notice (idle timeout, account changed) to the sign-in page."""
    for client_id, sid in store.tabs():
        if client_id not in Client.instances:
            store.detach_tab(client_id)
            continue
        session = store.peek(sid)  # peek: watching a tab is not activity, so it never keeps a session alive
        if session is None:
            _send_to_login([client_id], 'expired')
        elif problem := session_problem(session):
            store.end(sid, problem)  # its listener sends every tab of the session away


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(SWEEP_SECONDS)
        try:
            sweep()
        except Exception:
            log.exception('session sweep failed')


def install() -> None:
    """Register the middleware and the tab watch once (idempotent: pages may import this more than once)."""
    if any(m.kwargs.get('dispatch') is _dispatch for m in app.user_middleware):
        return
    app.add_middleware(BaseHTTPMiddleware, dispatch=_dispatch)
    app.on_connect(_remember_tab)
    app.on_delete(_forget_tab)
    app.on_startup(lambda: background_tasks.create(_sweep_forever(), name='session sweep'))
    store.on_end(_on_session_end)
    store.on_end(_drop_own_key_work)


install()
