"""The review: every choice with its label and the chosen cover; shown on the Details step and again on Create."""

from __future__ import annotations

from nicegui import ui

from components.review import review_summary
from pages.studio.section import Section
from runtime import runtime


class ReviewSection(Section):
    def key(self) -> object:
        studio = self.studio
        cover = studio.selected_cover()
        shown = (cover.id, cover.has_image, cover.usable()) if cover is not None else None
        return tuple(studio.review_rows()), shown, studio.review_note()

    @ui.refreshable_method
    def render(self) -> None:
        studio = self.studio
        cover = studio.selected_cover()
        url = runtime.previews.url(studio.owner, 'cover', cover.id) if cover is not None and cover.has_image else None
        review_summary(studio.review_rows(), url, expired=cover is not None and not cover.usable(),
                       note=studio.review_note())
