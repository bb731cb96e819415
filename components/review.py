"""The review summary: every choice with its label, and the chosen cover."""

from __future__ import annotations

from nicegui import ui


def review_summary(rows: list[tuple[str, str]], cover_url: str | None, *, expired: bool = False,
                   note: str | None = None) -> None:
    with ui.card().classes('w-full shadow-none border border-slate-200').props('flat').mark('review'):
        with ui.row().classes('w-full gap-4 items-start no-wrap'):
            if cover_url:
                ui.image(cover_url).classes('w-24 sm:w-32 shrink-0 rounded-lg '
                                            + ('grayscale opacity-60' if expired else '')).props('fit=contain')
            else:
                with ui.element('div').classes('w-24 sm:w-32 aspect-[3/4] shrink-0 rounded-lg bg-slate-100 flex '
                                               'items-center justify-center'):
                    ui.icon('image', size='2rem').classes('text-slate-300')
            with ui.element('div').classes('grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm min-w-0'):
                for title, value in rows:
                    ui.label(title).classes('text-slate-500')
                    ui.label(value).classes('font-medium break-words ' + ('text-slate-400' if value == '—' else ''))
        if note:
            with ui.row().classes('items-start gap-2 no-wrap text-xs text-amber-800'):
                ui.icon('info').classes('text-base')
                ui.label(note)
