"""What a page shows to a browser without a session (normally the sign-in middleware redirects first)."""

from __future__ import annotations

from nicegui import ui

from services.core.i18n import _


def signed_out_notice() -> None:
    with ui.card().classes('w-full max-w-md mx-auto items-center text-center gap-3 py-8').mark('signed-out'):
        ui.icon('lock', size='3rem', color='primary')
        ui.label(_('Sign in to use the studio')).classes('text-xl font-semibold')
        ui.label(_('Your drafts, covers and agents belong to your account.')).classes('text-sm text-slate-600')
        ui.button(_('Sign in'), on_click=lambda: ui.navigate.to('/login')).props('unelevated no-caps')
