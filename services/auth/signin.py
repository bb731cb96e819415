"""The three ways in (tool account, own key, sandbox demo), the way out, and who is asking, without any UI.

Each `SignIn.sign_in_*` returns a new server-side Session or raises SignInError with a message to show. The
caller stores only `session.sid` in `app.storage.user[SESSION_KEY]`. `SignIn.current_principal()` is the one
definition of "who is asking" that pages, routes and the access middleware all use.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Awaitable, Callable

from nicegui import app

from services.auth.accounts import AccountStore
from services.auth.names import canonical_name, platform_user_id
from services.auth.sessions import SESSION_KEY, Principal, Session, SessionStore, owner_id_for
from services.auth.throttle import FailureThrottle, TooManyAttempts
from services.core import metrics
from services.core.audit import SIGN_IN, SIGN_IN_FAILED, SIGN_OUT, AuditLog
from services.core.db import DatabaseUnavailable
from services.core.errors import UserFacingError
from services.core.i18n import N_, _, format_list
from services.core.secret import Secret
from services.core.settings import Settings
from services.platform.client import Credentials, PlatformClient
from services.platform.errors import AuthenticationError, BusinessError, PlatformError, TransportError
from services.platform.known_errors import invalid_key, key_problem

log = logging.getLogger(__name__)

WRONG_ACCOUNT = N_('Wrong username or password.')
DEMO_VISITOR = N_('Demo visitor')  # a demo session's display name, translated where shown
# Issues a sandbox key of its own for one demo visitor (their user id) -> (key, secret): the embedded sandbox's
# EmbeddedSandbox.issue_key, or a standalone sandbox's /_sandbox/keys (sandbox/control_client.py).
DemoKeyIssuer = Callable[[str], Awaitable[tuple[str, Secret]]]
USER_ID_PATTERN = re.compile(r'^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$')
MAX_KEY_LENGTH = 512


class SignInError(UserFacingError):
    def __init__(self, user_message: str, *, kind: str = 'refused') -> None:
        super().__init__(user_message)
        # 'refused' (wrong password or key), 'unreachable' (the platform could not be asked), 'invalid' (form),
        # 'throttled', 'unavailable' (this way in is not configured)
        self.kind = kind


class SignIn:
    """Signing in and out, and checking that a session may still be used, for one configuration."""

    def __init__(self, settings: Settings, *, accounts: AccountStore, sessions: SessionStore, audit: AuditLog,
                 platform: PlatformClient, operator: Credentials | None,
                 demo_keys: DemoKeyIssuer | None = None) -> None:
        self.settings = settings
        self.accounts = accounts
        self.sessions = sessions
        self.audit = audit
        self.platform = platform
        self.operator = operator  # tool accounts sign with these; None when not configured
        self.demo_keys = demo_keys  # the embedded sandbox's, when the app runs on one
        self.throttle = FailureThrottle()
        self._confirming: set[str] = set()

    @staticmethod
    def current_sid() -> str | None:
        """The session id the browser behind the current request or UI event holds, if any."""
        try:
            sid = app.storage.user.get(SESSION_KEY)
        except (RuntimeError, AssertionError, KeyError):
            return None  # no browser in this context (e.g. a background task)
        return sid if isinstance(sid, str) else None

    def current_session(self) -> Session | None:
        """The session of the browser behind the current request or UI event, if it may still be used.

        Synchronous, from this instance's memory: the access middleware has already loaded it from the table
        (`load_session`) before any page code of the request runs."""
        return self.valid_session(self.current_sid())

    async def load_session(self, sid: str | None) -> Session | None:
        """`valid_session`, fetching the session from the table first when this instance does not hold it yet
        (signed in on another instance, or before a restart). Raises DatabaseUnavailable when it must be read and
        cannot be."""
        session = await self.sessions.load(sid)
        if session is None:
            return None
        if self.session_problem(session):
            await self._confirm(session.sid)  # answer this request with the confirmed verdict
        return self.valid_session(sid)

    def current_principal(self) -> Principal | None:
        """Who is asking: works in page builders, event handlers and plain routes (anything with a request).

        Goes through `valid_session`, so a session whose account was removed or whose password changed stops
        working here too, not only in the access middleware."""
        session = self.current_session()
        return session.principal if session else None

    def _require_mode(self, mode: str) -> None:
        if mode not in self.settings.auth_modes:
            raise SignInError(_('This way of signing in is not enabled on this server.'), kind='unavailable')

    def _audit(self, event: str, actor: str, detail: str, trace_id: str | None = None) -> None:
        self.audit.record(event, actor=actor, detail=detail, trace_id=trace_id)
        metrics.sign_in_event(event)  # every sign-in, and every refused one, is audited here

    def _throttle_check(self, *keys: str) -> None:
        try:
            self.throttle.check(*keys)
        except TooManyAttempts as error:
            raise SignInError(error.user_message, kind='throttled') from None

    async def sign_in_account(self, name: str, password: str, *, address: str = '') -> Session:
        """Tool account + the operator's credentials; the username travels as X-User-ID."""
        self._require_mode('accounts')
        name = canonical_name(name)
        if not name or not password:
            raise SignInError(_('Enter your username and password.'), kind='invalid')
        operator = self.operator
        if operator is None:
            raise SignInError(_('Tool accounts cannot be used yet: the operator has not configured the platform '
                                'credentials (PLATFORM_API_KEY / PLATFORM_API_SECRET).'), kind='unavailable')
        name_key, address_key = f'account:{name.lower()}', f'address:{address}' if address else ''
        self._throttle_check(name_key, address_key)
        # scrypt takes tens of milliseconds of CPU: never on the event loop.
        try:
            account = await asyncio.to_thread(self.accounts.verify, name, password)
        except DatabaseUnavailable as unavailable:
            raise SignInError(unavailable.user_message, kind='unreachable') from None
        if account is None:
            self.throttle.failed(name_key, address_key)
            self._audit(SIGN_IN_FAILED, _printable(name), f'tool account: wrong username or password{_from(address)}')
            raise SignInError(_(WRONG_ACCOUNT))
        self.throttle.succeeded(name_key)
        # The platform sees an ASCII id (the name itself when it is ASCII); display_name is the account's name.
        user_id = platform_user_id(account.name)
        principal = Principal(owner_id=owner_id_for('account', user_id), user_id=user_id,
                              display_name=account.name, mode='account',
                              credentials=Credentials(operator.api_key, operator.api_secret, user_id),
                              is_admin=account.is_admin)
        session = self.sessions.create(principal, account_stamp=account.stamp)
        await self.sessions.stored(session)  # so the next request finds it on whichever instance serves it
        self._audit(SIGN_IN, principal.user_id, f'tool account{" (admin)" if account.is_admin else ""}{_from(address)}')
        return session

    async def sign_in_byok(self, api_key: str, api_secret: str, user_id: str, *, address: str = '') -> Session:
        """A person's own key: checked with one signed options call, then kept with the session, sealed, until the
        person signs out (when it is dropped from the table and forgotten by every instance)."""
        self._require_mode('byok')
        api_key, api_secret, user_id = api_key.strip(), api_secret.strip(), user_id.strip()
        missing = [_(label) for label, value in ((N_('API key'), api_key), (N_('secret'), api_secret),
                                                 (N_('user id'), user_id)) if not value]
        if missing:
            raise SignInError(_('Enter your {fields}.').format(fields=format_list(missing)), kind='invalid')
        if len(api_key) > MAX_KEY_LENGTH or len(api_secret) > MAX_KEY_LENGTH:
            raise SignInError(_('An API key or secret longer than {limit} characters cannot be right.')
                              .format(limit=MAX_KEY_LENGTH), kind='invalid')
        if not USER_ID_PATTERN.match(user_id):
            raise SignInError(_('A user id is 1-128 characters: letters, digits and . _ - : @, starting with a letter '
                                'or digit.'), kind='invalid')
        address_key = f'address:{address}' if address else ''
        self._throttle_check(address_key)
        owner_id = owner_id_for('byok', user_id, api_key)
        credentials = Credentials(api_key, Secret(api_secret), user_id, owner=owner_id)
        try:
            await self.platform.options(credentials)
        except (AuthenticationError, BusinessError) as error:
            if isinstance(error, BusinessError) and not invalid_key(error):
                # Busy or out of allowance (docs/platform-api.md): the key may be fine; say what to do.
                self._audit(SIGN_IN_FAILED, _printable(user_id), f'own key: {error}{_from(address)}', error.trace_id)
                raise SignInError(key_problem(error, 'check your key') or _('Your key could not be checked: the '
                                  'platform answered unexpectedly ({error}).').format(error=error),
                                  kind='unreachable') from None
            self.throttle.failed(address_key)
            self._audit(SIGN_IN_FAILED, _printable(user_id), f'own key: the platform refused it{_from(address)}',
                   error.trace_id)
            raise SignInError(_('The platform rejected these credentials: the API key, secret or user id is not '
                                'valid ({reason}).').format(reason=error.user_message.rstrip('.')),
                              kind='refused') from None
        except TransportError as error:
            self._audit(SIGN_IN_FAILED, _printable(user_id), f'own key: platform unreachable{_from(address)}')
            raise SignInError(_('Your key could not be checked because the platform is not reachable right now: '
                                '{reason}').format(reason=error.user_message), kind='unreachable') from None
        except PlatformError as error:
            self._audit(SIGN_IN_FAILED, _printable(user_id), f'own key: unexpected answer{_from(address)}',
                        error.trace_id)
            raise SignInError(_('Your key could not be checked: the platform answered unexpectedly ({error}).')
                              .format(error=error), kind='unreachable') from None
        principal = Principal(owner_id=owner_id, user_id=user_id, display_name=user_id, mode='byok',
                              credentials=credentials)
        session = self.sessions.create(principal)
        await self.sessions.stored(session)
        self._audit(SIGN_IN, principal.user_id, f'own API key{_from(address)}')
        return session

    async def sign_in_demo(self, *, address: str = '') -> Session:
        """One click on the embedded sandbox: a fresh demo user id and a sandbox key of its own per visitor, so a
        visitor sees only what they made, and neither other visitors nor tool accounts see any of it."""
        self._require_mode('demo')
        if not self.settings.uses_sandbox or self.demo_keys is None:
            raise SignInError(_('The demo is only available when the studio runs on its embedded sandbox.'),
                              kind='unavailable')
        user_id = f'demo-{secrets.token_hex(4)}'
        try:
            api_key, api_secret = await self.demo_keys(user_id)
        except Exception as error:
            log.warning('demo: no sandbox key could be issued: %s', error)
            raise SignInError(_('The sandbox could not open a demo for you just now. Try again in a moment.'),
                              kind='unreachable') from None
        principal = Principal(owner_id=owner_id_for('demo', user_id), user_id=user_id, display_name=DEMO_VISITOR,
                              mode='demo', credentials=Credentials(api_key, api_secret, user_id))
        session = self.sessions.create(principal)
        # Stored before the visitor makes anything: the sweep deletes demo work that no live session names.
        await self.sessions.stored(session)
        self._audit(SIGN_IN, principal.user_id, f'sandbox demo{_from(address)}')
        return session

    def sign_out(self, sid: str | None) -> Principal | None:
        """End the session in every tab that holds it; returns who it was, or None if it had already ended."""
        principal = self.sessions.end(sid, 'signed out')
        if principal is not None:
            self._audit(SIGN_OUT, principal.user_id, '')
        return principal

    def session_problem(self, session: Session | None) -> str | None:
        """Why an existing session may no longer be used (its account was removed or got a new password), or None."""
        if session is None:
            return 'not signed in'
        if session.principal.mode == 'account':
            account = self.accounts.get(session.principal.display_name)  # the account name, not its X-User-ID
            if account is None:
                return 'the account was removed'
            if account.stamp != session.account_stamp:
                return 'the password was changed'
        return None

    def valid_session(self, sid: str | None) -> Session | None:
        """The session for this id if it may still be used (counts as activity). When its account seems to have
        changed, it is not used, and ended once the table confirms it (`confirm_problem`)."""
        session = self.sessions.get(sid)
        if session is not None and self.session_problem(session):
            self.confirm_problem(session.sid)
            return None
        return session

    def confirm_problem(self, sid: str) -> None:
        """End the session if its account really was removed or re-passworded. The accounts snapshot this instance
        judges by may be a moment behind another instance (a session created there just after a password change
        must not be ended here for a stamp this snapshot has not caught up with), so reload it and judge again,
        in the background; without an event loop (a script), judge by the snapshot."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            session = self.sessions.peek(sid)
            if session is not None and (problem := self.session_problem(session)):
                self.sessions.end(sid, problem)
            return
        if sid not in self._confirming:
            self._confirming.add(sid)
            task = loop.create_task(self._confirm(sid), name='confirm session problem')
            task.add_done_callback(lambda _: self._confirming.discard(sid))

    async def _confirm(self, sid: str) -> None:
        try:
            await self.accounts.refresh()
        except DatabaseUnavailable:
            return  # judged again at the next request or sweep
        session = self.sessions.peek(sid)
        if session is not None and (problem := self.session_problem(session)):
            self.sessions.end(sid, problem)


def _printable(text: str) -> str:
    """A typed name as it may appear in the log: no control characters, bounded length."""
    return ''.join(c if c.isprintable() else '?' for c in text)[:80]


def _from(address: str) -> str:
    return f' from {address}' if address else ''

