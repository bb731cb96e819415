"""The page frame every page shares: header (product, navigation, upstream, user), content column, colours."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import app, ui

from components.bidi import ISOLATE_CSS
from components.language import html_lang
from runtime import runtime
from services.core.i18n import N_, _, current_language

PRODUCT = 'Agent Studio'  # the product's name, the same in every language
NAV = ((N_('Studio'), '/studio', 'auto_awesome', 'studio'), (N_('Agents'), '/agents', 'groups', 'agents'))

# Only what Tailwind/Quasar cannot say: a responsive stepper header and a tile's hover lift.
_CSS = """
.studio-tile { transition: transform .12s ease, box-shadow .12s ease; }
.studio-tile:hover { transform: translateY(-2px); }
.studio-tile.selected { outline: 3px solid var(--q-primary); outline-offset: 2px; }
/* Chinese and Japanese share code points but not glyphs: the page's lang picks the right Noto CJK face. */
:lang(zh) body { font-family: Roboto, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; }
:lang(ja) body { font-family: Roboto, "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", Meiryo, sans-serif; }
@media (max-width: 640px) {
  .studio-stepper .q-stepper__tab { padding: 8px 4px; min-height: 0; }
  .studio-stepper .q-stepper__title { font-size: 11px; }
  .studio-stepper .q-stepper__header--alternative-labels .q-stepper__tab { padding: 8px 2px; }
  .studio-stepper .q-stepper__step-inner { padding: 12px 8px 16px; }
}
"""


def apply_theme() -> None:
    app.colors(primary='#6D28D9', secondary='#DB2777', accent='#0EA5E9', positive='#059669',
               negative='#DC2626', warning='#D97706', info='#2563EB')
    ui.add_css(_CSS + ISOLATE_CSS)
    ui.query('body').classes('bg-slate-50 text-slate-900')
    ui.query('html').props(f'lang={html_lang(current_language())}')


def page_title(title: str) -> None:
    """The tab's title: the page's own (already translated) name, then the product's."""
    ui.page_title(f'{title} · {PRODUCT}')


@contextmanager
def frame(title: str, *, active: str = '') -> Iterator[ui.column]:
    """Header + a centred content column; use as `with frame(_('Studio'), active='/studio'):` (the title is
    translated by the caller, like every other text)."""
    apply_theme()
    page_title(title)
    with ui.header().classes('bg-white text-slate-900 border-b border-slate-200 px-3 sm:px-6 py-2 items-center '
                             'gap-2 sm:gap-4 no-wrap'):
        with ui.link(target='/studio').classes('flex items-center gap-2 no-underline text-slate-900'):
            ui.icon('theater_comedy', color='primary').classes('text-3xl')
            ui.label(PRODUCT).classes('text-lg font-bold tracking-tight max-sm:hidden')
        with ui.row().classes('gap-1 no-wrap'):
            for label, target, icon, name in NAV:
                selected = active == target
                ui.button(_(label), icon=icon, on_click=lambda t=target: ui.navigate.to(t)) \
                    .props(f'flat no-caps dense {"color=primary" if selected else "text-color=grey-8"}') \
                    .classes('px-2 whitespace-nowrap ' + ('font-bold bg-violet-50' if selected else '')) \
                    .mark(f'nav-{name}')
        ui.space()
        _upstream_badge()
        _user_slot()
    with ui.column().classes('w-full max-w-6xl mx-auto px-3 sm:px-6 py-4 sm:py-6 gap-4') as content:
        yield content


def _upstream_badge() -> None:
    if runtime.uses_sandbox:
        with ui.badge(_('Sandbox'), color='orange').classes('text-xs px-2 py-1 font-bold whitespace-nowrap') \
                .mark('upstream-badge'):
            ui.tooltip(_('Running on the embedded sandbox: covers and agents are simulated, nothing reaches the '
                         'real platform.') if runtime.settings.embeds_sandbox else
                       _('Running on the sandbox: covers and agents are simulated, nothing reaches the real '
                         'platform.'))
    else:
        label = runtime.upstream_label().removeprefix('https://').removeprefix('http://')
        with ui.badge(label, color='grey-8').props('outline').classes('text-xs px-2 py-1 max-w-[40vw] truncate') \
                .mark('upstream-badge'):
            ui.tooltip(_('Connected to {address}').format(address=runtime.upstream_label()))


def _user_slot() -> None:
    # The sign-in work provides components/user_menu.py; the frame works with or without it.
    if importlib.util.find_spec('components.user_menu') is None:
        return
    module = importlib.import_module('components.user_menu')
    user_menu = getattr(module, 'user_menu', None)
    if callable(user_menu):
        user_menu()
