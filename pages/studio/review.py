"""The review on the Create step (every choice by step, the chosen cover), and the look preview beside the
Details fields. Two sections rather than one review drawn twice: the Details step shows its own fields already."""

from __future__ import annotations

from nicegui import ui

from components.review import look_preview, review_summary
from pages.studio.section import Section
from runtime import runtime


class _CoverShown(Section):
    def _cover(self) -> tuple[str | None, bool, object]:
        """The chosen cover's preview URL, whether it has run out, and what of it the key needs."""
        studio = self.studio
        cover = studio.selected_cover()
        url = runtime.previews.url(studio.owner, 'cover', cover.id) if cover is not None and cover.has_image else None
        shown = (cover.id, cover.has_image, cover.usable()) if cover is not None else None
        return url, cover is not None and not cover.usable(), shown


class ReviewSection(_CoverShown):
    def key(self) -> object:
        studio = self.studio
        return tuple((step, tuple(rows)) for step, _, rows in studio.review_groups()), self._cover()[2], \
            studio.review_note()

    @ui.refreshable_method
    def render(self) -> None:
        url, expired, _ = self._cover()
        review_summary(self.studio.review_groups(), url, expired=expired, note=self.studio.review_note(),
                       on_edit=self.studio.go_to)


class LookPreview(_CoverShown):
    def _look(self) -> list[str]:
        gender = self.studio.draft.gender
        return ([gender.capitalize()] if gender else []) + self.studio.look_summary()

    def key(self) -> object:
        return tuple(self._look()), self._cover()[2], self.studio.review_note()

    @ui.refreshable_method
    def render(self) -> None:
        url, expired, _ = self._cover()
        look_preview(url, self._look(), expired=expired, note=self.studio.review_note(),
                     on_change_look=lambda: self.studio.go_to('look'))
