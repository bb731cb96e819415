"""/logout: a page to sign out from (a plain GET never signs anyone out, so a stray link or image cannot)."""

from __future__ import annotations

from nicegui import ui

from components.theme import frame
from components.user_menu import sign_out_here
from runtime import runtime
from services.core.i18n import _


def setup() -> None:
    ui.page('/logout')(logout_page)


def logout_page() -> None:
    with frame(_('Sign out')), ui.card().classes('w-full max-w-sm mx-auto items-stretch'):
        ui.label(_('Sign out of Agent Studio?')).classes('text-lg')
        ui.label(_('This ends your session in every tab where it is open.')).classes('text-sm text-grey-8')
        principal = runtime.auth.current_principal()
        if principal is not None and principal.mode == 'demo':
            ui.label(_('This is the sandbox demo: signing out deletes everything you made here (your draft, photo, '
                       'covers, characters and conversations), and it cannot be entered again.')) \
                .classes('text-sm text-orange-9').mark('logout-demo-warning')
        with ui.row().classes('justify-end'):
            ui.button(_('Cancel'), on_click=lambda: ui.navigate.to('/')).props('flat')
            ui.button(_('Sign out'), on_click=sign_out_here).mark('logout-confirm')
