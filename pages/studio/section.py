"""A part of the studio page drawn from the Studio model, and the one way it is redrawn.

A section says what it shows as `key()`. After any change (a click here, another tab, a job) the view calls
`show()` on every section: one whose key changed is rebuilt (its `@ui.refreshable_method` render); the others
only `update()` in place what may differ without rebuilding, such as a field someone may be typing in (a
rebuilt input loses its focus) or a tile's highlight.
"""

from __future__ import annotations

from typing import Any

from nicegui import ui
from nicegui.element import Element
from nicegui.functions.refreshable import refreshable_method

from services.studio.studio import Studio


class Section:
    def __init__(self, studio: Studio) -> None:
        self.studio = studio
        self.root: Element | None = None  # what the section is drawn into; lives as long as the page
        self._shown: object = None

    def key(self) -> object:
        """What this section shows; a different key means it must be rebuilt."""
        return None

    # Draws the section: each subclass has its own `@ui.refreshable_method def render(self)`, so refreshing one
    # kind of section never walks the targets of the others.
    render: refreshable_method[Any, [], None]

    def update(self) -> None:
        """Bring in place what the key leaves out."""

    def place(self) -> None:
        """Draw the section for the first time, here."""
        self.root = ui.context.slot.parent
        self._shown = self.key()
        self.render()

    def show(self) -> None:
        key = self.key()
        if key != self._shown:
            self._shown = key
            self.render.refresh()
        else:
            self.update()

    def notify(self, message: str, **options: Any) -> None:
        """A notification that survives the rebuild of the element whose click caused it."""
        if self.root is None:
            ui.notify(message, **options)
            return
        with self.root:
            ui.notify(message, **options)
