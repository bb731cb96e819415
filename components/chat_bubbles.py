"""Chat bubbles: the person's messages, the agent's replies and chat pictures, always as text, never as HTML."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from services.core.i18n import _
from services.studio.chat_store import Message

TEXT = 'whitespace-pre-wrap break-words'
SENT, RECEIVED = 'primary', 'grey-3'  # Quasar colour names: the person's bubbles in the theme colour


def safe_image_url(url: str | None) -> str | None:
    """An image address from the platform, only when it is http(s) or on this site (never javascript:, data: or a
    protocol-relative //host, which would load from wherever the platform said)."""
    if not url:
        return None
    if url.startswith(('https://', 'http://')) or (url.startswith('/') and not url.startswith('//')):
        return url
    return None


def user_bubble(text: str) -> ui.chat_message:
    with ui.chat_message(name=_('You'), sent=True).classes('w-full').props(f'bg-color={SENT} text-color=white') \
            .mark('chat-user') as bubble:
        ui.label(text).classes(TEXT).mark('chat-user-text')
    return bubble


def agent_bubble(name: str, avatar: str | None, text: str, *, streaming: bool = False, stopped: bool = False,
                 reply: bool = True) -> ui.label:
    """The agent's bubble; returns the label whose text a streaming reply updates in place."""
    # One column inside: Quasar draws every direct child of a chat message as a bubble of its own.
    with ui.chat_message(name=name, avatar=avatar).classes('w-full').props(f'bg-color={RECEIVED}') \
            .mark('chat-agent'), ui.column().classes('gap-1'):
        # `chat-reply` is for the browser: tests and the benchmark watch a reply grow by it (markers stay server-side).
        label = ui.label(text).classes(f'{TEXT} {"chat-reply" if reply else "chat-opening"}').mark('chat-agent-text')
        if streaming:
            with ui.row().classes('items-center gap-1 text-slate-500'):
                ui.spinner('dots', size='1.5em')
                ui.label(_('writing…')).classes('text-xs').mark('chat-writing')
        if stopped:
            ui.label(_('Stopped.')).classes('text-xs text-slate-500').mark('chat-stopped')
    return label


def picture_bubble(name: str, avatar: str | None, message: Message, preview_url: str | None,
                   full_url: str | None, *, on_load: Callable[[], None] | None = None) -> ui.label | None:
    """A chat picture: drawing (returns the label that shows how long it has taken), drawn, or not drawn."""
    clock = None
    with ui.chat_message(name=name, avatar=avatar).classes('w-full').props(f'bg-color={RECEIVED}') \
            .mark('chat-picture-message'), ui.column().classes('gap-1'):
        if message.status == 'running':
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.spinner(size='1.5em')
                with ui.column().classes('gap-0'):
                    ui.label(_('Drawing “{prompt}”…').format(prompt=message.text)).classes(TEXT) \
                        .mark('chat-picture-drawing')
                    clock = ui.label('').classes('text-xs text-slate-500')
        elif preview_url is not None:
            with ui.link(target=full_url or preview_url, new_tab=True).classes('block'):
                image = ui.image(preview_url).classes('w-56 sm:w-64 rounded-lg bg-slate-100').props('fit=contain') \
                    .mark('chat-picture-image')
                if on_load is not None:  # the list follows the picture once it has a height
                    image.on('load', on_load)
            ui.label(message.text).classes(f'text-xs text-slate-500 {TEXT}')
        else:
            ui.label(_('A picture of “{prompt}”').format(prompt=message.text)).classes(TEXT)
    return clock
