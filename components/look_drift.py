"""On the Cover step: the chosen cover was painted for another look than the one chosen now (issue 12, item 5).

An agent gets the look of its cover (services/studio/rules.py:create_request), so a look changed after the cover
(a tile, "Surprise me", another tab) must not leave the step saying the cover is simply ready. This says what
differs and offers both ways to make them agree again. It draws nothing while they agree; the Cover step is
rebuilt whenever the look or the chosen cover changes, so it is always current.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from services.core.i18n import N_, _
from services.studio.studio import Studio

TITLE = N_('The chosen cover was made for another look')


def look_drift_notice(studio: Studio, generate: Callable[[], Awaitable[None]]) -> None:
    """The notice, when the look chosen now differs from the chosen cover's; `generate` paints one for it."""
    drift = studio.look_drift()
    if drift is None:
        return

    async def restore() -> None:
        cleared = await studio.restore_cover_look()
        if cleared:  # the cover's own choices are always offered; this is a platform that changed its options
            ui.notify(_('No longer offered, so cleared: {choices}.').format(choices=', '.join(cleared)),
                      type='warning')

    with ui.card().classes('w-full border border-amber-300 bg-amber-50 shadow-none gap-2').props('flat') \
            .mark('look-drift'):
        with ui.row().classes('items-start gap-2 no-wrap'):
            ui.icon('warning', size='1.5rem').classes('text-amber-700')
            with ui.column().classes('gap-1'):
                ui.label(_(TITLE)).classes('font-semibold text-amber-900')
                ui.label(drift.sentence()).classes('text-sm text-amber-900').mark('look-drift-changes')
                ui.label(_('Creating now would give the agent the look of the cover, not the one you chose.')) \
                    .classes('text-xs text-amber-800')
        with ui.row().classes('gap-2'):
            ui.button(_('Generate for this look'), icon='auto_awesome', on_click=generate) \
                .props('unelevated no-caps color=primary').mark('drift-generate')
            ui.button(_("Go back to the cover's look"), icon='undo', on_click=restore) \
                .props('outline no-caps').mark('drift-restore')
