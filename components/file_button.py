"""A plain button that opens the browser's file chooser, for pages where one action is wanted (not an uploader)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui


def file_button(label: str, *, icon: str, accept: str, max_bytes: int,
                on_file: Callable[[events.UploadEventArguments], Awaitable[None]], too_big: str) -> ui.button:
    """A plain button that opens the browser's file chooser; the chosen file goes to `on_file`.

    The stock ui.upload draws a whole uploader (a queue, '0.0B / 0.00%') where one action is wanted. Its uploader
    still does the sending (over HTTP, checked for size by the browser and again by the server), only hidden; the
    button opens its file chooser from the click itself, in the browser, because a browser opens one only in
    answer to a person's click (a call from the server would be refused)."""
    button = ui.button(label, icon=icon).props('outline no-caps')

    async def received(event: events.UploadEventArguments) -> None:
        button.props('loading')
        try:
            await on_file(event)
        finally:
            button.props(remove='loading')
            upload.reset()  # the same file can be chosen again (after fixing what was said about it)

    upload = ui.upload(auto_upload=True, max_file_size=max_bytes, on_upload=received,
                       on_rejected=lambda: ui.notify(too_big, type='warning')) \
        .props(f'accept="{accept}"').classes('hidden')
    button.on('click', js_handler=f'() => getElement({upload.id}).$refs.qRef.pickFiles()')
    return button
