"""Compare on the Cover step: tick two to four finished covers, see them side by side, keep one and put the
others aside. The ticking and showing belong to one page (another tab compares on its own); what is kept and what
is put aside is the person's draft, shared by every tab.

A part of services.studio.studio.Studio (`studio.compare`), which hands it the draft, the person's jobs and the
studio's own save / announce / choose-a-cover, so that every change is announced once, by the studio.
"""

from __future__ import annotations

from collections.abc import Callable

from services.core.i18n import _
from services.studio import covers as cover_rules
from services.studio import rules
from services.studio.drafts import Draft
from services.studio.job import Job
from services.studio.jobs import JobManager


class Comparison:
    def __init__(self, owner: str, draft: Draft, jobs: JobManager, *, save: Callable[[], None],
                 changed: Callable[[], None], select: Callable[[str], None]) -> None:
        self._owner = owner
        self._draft = draft
        self._jobs = jobs
        self._save = save
        self._changed = changed
        self._select = select  # Studio.select_cover: saves and announces
        self.picking = False  # ticking covers
        self.showing = False  # the ticked covers side by side
        self.ids: list[str] = []  # ticked, in the order ticked

    def start(self) -> None:
        self.picking, self.showing = True, False
        self.ids = []
        self._changed()

    def toggle(self, job_id: str) -> str | None:
        """Tick or untick a cover for comparing; returns why not when it cannot be ticked."""
        if job_id in self.ids:
            self.ids = [j for j in self.ids if j != job_id]
        else:
            job = self._jobs.get(self._owner, job_id)
            if job is None or not job.usable():
                return _('This cover can no longer be used, so there is no point comparing it. Choose another.')
            if len(self.ids) >= cover_rules.COMPARE_MAX:
                return cover_rules.compare_refusal(cover_rules.COMPARE_MAX + 1)
            self.ids = [*self.ids, job_id]
        self._changed()
        return None

    def show(self) -> str | None:
        """Show the ticked covers side by side; returns why not (fewer than two, or more than four)."""
        refusal = cover_rules.compare_refusal(len(self.ids))
        if refusal is None:
            self.picking, self.showing = False, True
            self._changed()
        return refusal

    def stop(self) -> None:
        self.picking = self.showing = False
        self.ids = []
        self._changed()

    def covers(self) -> list[Job]:
        """The covers being compared, in the order ticked; any that are gone are left out."""
        jobs = (self._jobs.get(self._owner, j) for j in self.ids)
        return [j for j in jobs if j is not None and j.kind == 'cover' and j.status == 'done' and j.has_image]

    def keep(self, job_id: str) -> None:
        """"Keep this one": choose it and put the others compared with it aside."""
        others = [j for j in self.ids if j != job_id]
        draft = self._draft
        draft.dismissed_covers = [j for j in dict.fromkeys([*draft.dismissed_covers, *others]) if j != job_id]
        self.picking = self.showing = False
        self.ids = []
        self._select(job_id)

    def dismiss(self, job_id: str) -> None:
        """Put a cover aside: it leaves the comparison and the main gallery, and stays reachable under
        Dismissed until it expires. A dismissed chosen cover gives the choice to the newest one left."""
        draft = self._draft
        if job_id not in draft.dismissed_covers:
            draft.dismissed_covers = [*draft.dismissed_covers, job_id]
        self.ids = [j for j in self.ids if j != job_id]
        if draft.selected_cover_job == job_id:
            kept = [j for j in self._jobs.jobs_for(self._owner, 'cover') if j.id not in draft.dismissed_covers]
            draft.selected_cover_job = rules.default_cover(kept)
        self._save()
        self._changed()

    def state(self) -> tuple[bool, bool, tuple[str, ...]]:
        """What a page compares to know whether Compare changed."""
        return self.picking, self.showing, tuple(self.ids)
