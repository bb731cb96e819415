"""The header's account corner: who is signed in, how, a plain sandbox notice for the demo, sign out, admin."""

from __future__ import annotations

from nicegui import app, ui

from components.bidi import name_label
from components.language import language_menu_items
from runtime import runtime
from services.auth.sessions import SESSION_KEY
from services.core.i18n import N_, _

MODE_LABELS = {'account': N_('Tool account'), 'byok': N_('Own API key'), 'demo': N_('Sandbox demo')}


def sign_out_here() -> None:
    """End this browser's session in every tab that has it, then show the sign-in page."""
    sid = app.storage.user.get(SESSION_KEY)
    app.storage.user.pop(SESSION_KEY, None)
    runtime.sessions.detach_tab(ui.context.client.id)  # this tab goes to the sign-in page below, not back to this page
    runtime.auth.sign_out(sid)  # the session's other tabs are sent to the sign-in page by the access module's listener
    ui.navigate.to('/login?reason=signed-out')


def sign_out_everywhere() -> None:
    """End every session of this person (other browsers and devices too), then show the sign-in page."""
    session = runtime.auth.current_session()
    app.storage.user.pop(SESSION_KEY, None)
    runtime.sessions.detach_tab(ui.context.client.id)
    if session is not None:
        runtime.auth.sign_out(session.sid)
        runtime.sessions.end_all_for(session.principal.owner_id, 'signed out everywhere')
    ui.navigate.to('/login?reason=signed-out')


def user_menu() -> None:
    """Call inside the studio's header. Renders nothing for a visitor without a session."""
    session = runtime.auth.current_session()
    if session is None:
        return
    principal = session.principal
    # A demo visitor's name is the product's words, not theirs: shown in the page's language.
    shown_name = _(principal.display_name) if principal.mode == 'demo' else principal.display_name
    # The frame's header already carries the Sandbox/upstream badge; this adds the person and the way out.
    with ui.row().classes('items-center gap-1 no-wrap').mark('user-menu'):
        with ui.button(icon='account_circle').props('flat no-caps dense text-color=grey-9') \
                .mark('user-menu-button'):
            name_label(shown_name).classes('ml-1 max-w-[10rem] ellipsis gt-xs') \
                .mark('user-name')
            with ui.menu().props('auto-close'):
                with ui.column().classes('px-4 py-2 gap-0'):
                    name_label(shown_name).classes('font-medium')
                    detail = _(MODE_LABELS[principal.mode])
                    if principal.mode != 'account' or principal.user_id != principal.display_name:
                        detail = _('{mode} · user id {user_id}').format(mode=detail, user_id=principal.user_id)
                    ui.label(detail).classes('text-xs text-grey-7').mark('user-mode')
                    if principal.mode == 'demo':
                        ui.label(_('You are on the sandbox: nothing here reaches the real platform.')) \
                            .classes('text-xs text-orange-9 max-w-[18rem]').mark('sandbox-note')
                ui.separator()
                language_menu_items()
                ui.separator()
                ui.menu_item(_('Requests'), on_click=lambda: ui.navigate.to('/requests')).mark('requests-link')
                if principal.is_admin:
                    ui.menu_item(_('Audit log'), on_click=lambda: ui.navigate.to('/admin')).mark('admin-link')
                # A demo visit's work is deleted when it signs out: that is asked first, on the sign-out page.
                ui.menu_item(_('Sign out'), on_click=sign_out_here if principal.mode != 'demo'
                             else lambda: ui.navigate.to('/logout')).mark('sign-out')
                if principal.mode == 'account':
                    ui.menu_item(_('Sign out on every device'), on_click=sign_out_everywhere) \
                        .mark('sign-out-everywhere')
