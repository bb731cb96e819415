"""The header's account corner: who is signed in, how, a plain sandbox notice for the demo, sign out, admin."""

from __future__ import annotations

from nicegui import app, ui

from services.runtime import runtime
from services.sessions import SESSION_KEY
from services.signin import sign_out, valid_session

MODE_LABELS = {'account': 'Tool account', 'byok': 'Own API key', 'demo': 'Sandbox demo'}


def sign_out_here() -> None:
    """End this browser's session in every tab that has it, then show the sign-in page."""
    sid = app.storage.user.get(SESSION_KEY)
    app.storage.user.pop(SESSION_KEY, None)
    sign_out(sid)  # other tabs of the session are sent to the sign-in page by the access module's listener
    ui.navigate.to('/login?reason=signed-out')


def user_menu() -> None:
    """Call inside the studio's header. Renders nothing for a visitor without a session."""
    session = valid_session(app.storage.user.get(SESSION_KEY))
    if session is None:
        return
    principal = session.principal
    with ui.row().classes('items-center gap-2 no-wrap').mark('user-menu'):
        if principal.mode == 'demo' or runtime.uses_sandbox:
            with ui.badge('SANDBOX', color='orange').classes('text-bold').mark('sandbox-badge'):
                ui.tooltip('This studio runs on its built-in sandbox: covers are drawn locally and nothing is '
                           'sent to the real platform.')
        with ui.button(icon='account_circle').props('flat no-caps color=white').mark('user-menu-button'):
            ui.label(principal.display_name).classes('ml-1 max-w-[12rem] ellipsis').mark('user-name')
            with ui.menu().props('auto-close'):
                with ui.column().classes('px-4 py-2 gap-0'):
                    ui.label(principal.display_name).classes('font-medium')
                    detail = MODE_LABELS[principal.mode]
                    if principal.mode != 'account' or principal.user_id != principal.display_name:
                        detail += f' · user id {principal.user_id}'
                    ui.label(detail).classes('text-xs text-grey-7').mark('user-mode')
                    if principal.mode == 'demo':
                        ui.label('You are on the sandbox: nothing here reaches the real platform.') \
                            .classes('text-xs text-orange-9').mark('sandbox-note')
                ui.separator()
                if principal.is_admin:
                    ui.menu_item('Audit log', on_click=lambda: ui.navigate.to('/admin')).mark('admin-link')
                ui.menu_item('Sign out', on_click=sign_out_here).mark('sign-out')
