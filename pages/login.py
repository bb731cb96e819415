"""The sign-in page: the ways in this server is configured for (tool account, own API key, sandbox demo)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import app, ui

from components.language import NO_CARRY, language_select
from components.theme import PRODUCT, apply_theme, page_title
from runtime import runtime
from services.auth import access
from services.auth.demo_data import demo_terms
from services.auth.sessions import SESSION_KEY, Session
from services.auth.signin import SignInError
from services.core.i18n import N_, _

REASONS = {
    'signed-out': N_('You were signed out. Sign in again to continue.'),
    'expired': N_('Your session ended. Sign in again to continue.'),
    'ended-by-admin': N_('An administrator ended your session. Sign in again to continue.'),
    'account-changed': N_('Your account was changed (a new password, or it was removed), so your session ended. '
                          'Sign in again to continue.'),
    # Tool accounts and own keys find their work again; a demo identity cannot be entered again, so its work is
    # deleted (services/auth/demo_data.py) and this must not promise otherwise.
    'not-restored': N_('Your session could not be restored after the studio restarted (its configuration changed). '
                       'Sign in again to continue: with a tool account or your own key your drafts and covers are '
                       'still there; a sandbox demo starts afresh.'),
}
MODE_TITLES = {'accounts': N_('Tool account'), 'byok': N_('Your own API key'), 'demo': N_('Sandbox demo')}


def _finish(session: Session, target: str) -> None:
    """Keep only the opaque session id for this browser, then go where the person was going."""
    previous = app.storage.user.get(SESSION_KEY)
    if previous and previous != session.sid:
        runtime.sessions.end(previous, 'signed in again')
    app.storage.user[SESSION_KEY] = session.sid
    ui.navigate.to(target)


async def _attempt(button: ui.button, message: ui.label, action: Callable[[], Awaitable[Session]],
                   target: str) -> None:
    button.props('loading')
    message.set_text('')
    try:
        session = await action()
    except SignInError as error:
        message.set_text(error.user_message)
        message.classes(replace='text-sm ' + ('text-orange-9' if error.kind in ('unreachable', 'throttled')
                                             else 'text-negative'))
        message.props(f'data-kind={error.kind}')
        return
    finally:
        button.props(remove='loading')
    _finish(session, target)


def _account_form(target: str) -> None:
    username = ui.input(_('Username')).props('autocomplete=username autofocus').classes('w-full') \
        .mark('login-username')
    password = ui.input(_('Password'), password=True, password_toggle_button=True) \
        .props('autocomplete=current-password').classes('w-full').mark('login-password', NO_CARRY)
    message = ui.label().classes('text-sm text-negative').mark('login-message')

    async def submit() -> None:
        name, secret = username.value or '', password.value or ''
        # The password is not kept in the page's state once it has been read.
        password.value = ''
        address = ui.context.client.ip
        await _attempt(button, message, lambda: runtime.auth.sign_in_account(name, secret, address=address), target)

    button = ui.button(_('Sign in'), on_click=submit).classes('w-full').mark('login-submit')
    username.on('keydown.enter', submit)
    password.on('keydown.enter', submit)


def _byok_form(target: str) -> None:
    ui.label(_('Your key and secret are checked with one call to the platform, kept on the server only encrypted '
               'and only for as long as you are signed in, and forgotten when you sign out.')) \
        .classes('text-sm text-grey-8')
    # Never carried over a language switch (components/language.py): the key and secret are kept nowhere.
    api_key = ui.input(_('API key'), password=True).props('autocomplete=off').classes('w-full') \
        .mark('byok-key', NO_CARRY)
    api_secret = ui.input(_('API secret'), password=True).props('autocomplete=off').classes('w-full') \
        .mark('byok-secret', NO_CARRY)
    user_id = ui.input(_('User id'), placeholder=_('the end user the calls are made for')) \
        .props('autocomplete=off').classes('w-full').mark('byok-user')
    message = ui.label().classes('text-sm').mark('byok-message')

    async def submit() -> None:
        key, secret, uid = api_key.value or '', api_secret.value or '', user_id.value or ''
        # Never send the key or secret back to the browser: clear both before anything else is updated.
        api_key.value = ''
        api_secret.value = ''
        address = ui.context.client.ip
        await _attempt(button, message, lambda: runtime.auth.sign_in_byok(key, secret, uid, address=address), target)

    button = ui.button(_('Connect'), on_click=submit).classes('w-full').mark('byok-submit')
    for field in (api_key, api_secret, user_id):
        field.on('keydown.enter', submit)


def _demo_form(target: str) -> None:
    ui.label(_('Try the studio on its built-in sandbox: covers are drawn locally and nothing reaches the real '
               'platform. You get a sandbox key of your own: only you see the characters you make, and nobody else '
               'sees yours.')).classes('text-sm text-grey-8')
    ui.label(demo_terms(runtime.settings.demo_idle_seconds)).classes('text-sm text-grey-8').mark('demo-terms')
    message = ui.label().classes('text-sm text-negative').mark('demo-message')

    async def enter() -> None:
        async def action() -> Session:
            return await runtime.auth.sign_in_demo(address=ui.context.client.ip)

        await _attempt(button, message, action, target)

    button = ui.button(_('Enter the sandbox demo'), icon='science', on_click=enter).classes('w-full') \
        .mark('demo-enter')


FORMS = {'accounts': _account_form, 'byok': _byok_form, 'demo': _demo_form}


def setup() -> None:
    ui.page(access.LOGIN_PATH)(login_page)


def login_page(redirect_to: str = '/', reason: str = '') -> None:
    target = access.safe_redirect_target(redirect_to)
    if runtime.auth.current_session() is not None:
        ui.navigate.to(target)  # already signed in: nothing to do here
        return
    apply_theme()
    page_title(_('Sign in'))
    modes = [mode for mode in runtime.settings.auth_modes
             if mode in FORMS and (mode != 'demo' or runtime.uses_sandbox)]

    with ui.column().classes('absolute-center items-stretch w-full max-w-md p-4 gap-4'):
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('theater_comedy', size='md').classes('text-primary')
            ui.label(PRODUCT).classes('text-2xl font-medium')
            ui.space()
            language_select()  # before sign-in the page follows the browser; this overrides it for this browser
        if runtime.uses_sandbox and runtime.settings.embeds_sandbox:
            ui.label(_('Sign in to build characters on the embedded sandbox.')).classes('text-grey-8')
        elif runtime.uses_sandbox:
            ui.label(_('Sign in to build characters on the sandbox.')).classes('text-grey-8')
        else:
            ui.label(_('Sign in to build characters on {address}.').format(address=runtime.upstream_label())) \
                .classes('text-grey-8')
        if reason in REASONS:
            ui.label(_(REASONS[reason])).classes('text-sm bg-amber-1 text-amber-10 rounded p-2').mark('login-reason')
        if not modes:
            ui.label(_('No way of signing in is enabled on this server. Ask the operator to set '
                       'STUDIO_AUTH_MODES.')).classes('text-negative')
            return
        if len(modes) == 1:
            with ui.card().classes('w-full'):
                ui.label(_(MODE_TITLES[modes[0]])).classes('text-lg')
                FORMS[modes[0]](target)
            return
        with ui.card().classes('w-full p-0'):
            with ui.tabs().classes('w-full') as tabs:
                tab_of = {mode: ui.tab(mode, label=_(MODE_TITLES[mode])).mark(f'tab-{mode}') for mode in modes}
            with ui.tab_panels(tabs, value=tab_of[modes[0]]).classes('w-full'):
                for mode in modes:
                    with ui.tab_panel(tab_of[mode]).classes('gap-3'):
                        FORMS[mode](target)
