"""Step 2, Reference photo (optional): what works, a drop zone, then what the check found; keep it or remove it.

The step draws its own navigation: without a photo the one way on is "Continue without a photo" (which records
the decision), with one it is "Next: Cover". Two buttons that both led to the Cover step used to sit side by side.
"""

from __future__ import annotations

from nicegui import events, ui

from components.drop_zone import drop_zone
from components.error_box import error_box
from pages.studio.section import Section
from runtime import runtime
from services.core.i18n import N_, _, format_number
from services.studio.drafts import RefPhoto
from services.studio.upload_rules import accepted_label

GOOD_SIDE = 512  # the guidance's "at least 512 pixels": below this on the short side, the check warns
# Marked here, translated where shown (each line may hold `{side}`, the pixels a side that work best).
GUIDANCE = (
    ('face', N_("One face, yours or your character's")),
    ('center_focus_strong', N_('Looking into the camera, from the front')),
    ('blur_off', N_('Sharp and well lit')),
    ('wallpaper', N_('A plain background')),
    ('photo_size_select_large', N_('At least {side} × {side} pixels')),
)
CROP_SWITCH = N_('Crop to a square around the face')
CROP_NOTES = {
    'cropped': N_('Cropped to a square around the face before it was sent.'),
    'already_square': N_('Not cropped: the photo is already a square around the face.'),
    'no_face': N_('Not cropped: no face was found to crop around, so the whole photo was sent.'),
}


def resolution_warning(ref: RefPhoto) -> str | None:
    if min(ref.width, ref.height) >= GOOD_SIDE:
        return None
    return _('This photo is {width}×{height} pixels, smaller than the {side} pixels a side that works best. You can '
             'use it, but the cover may look less like the face; a larger photo gives the platform more to work '
             'with.').format(width=ref.width, height=ref.height, side=GOOD_SIDE)


def faces_warning(count: int) -> str:
    # Only ever said of two faces or more, so no singular form is needed.
    return _('{count} faces were found. The platform takes one of them, and it may not be the one you mean. Choose '
             'a photo of one person, or turn on "{crop}" and choose this photo again: the largest face is kept.') \
        .format(count=count, crop=_(CROP_SWITCH))



class PhotoStep(Section):
    def key(self) -> object:
        studio, ref = self.studio, self.studio.draft.ref
        return ref.model_dump() if ref else None, studio.photo.busy, studio.photo.error

    @ui.refreshable_method
    def render(self) -> None:
        studio = self.studio
        ref = studio.draft.ref
        ui.label(_('Add a reference photo (optional)')).classes('text-lg font-semibold')
        ui.label(_('The platform draws a new face inspired by the one in your photo; it does not copy the photo. '
                   'You can also continue without one.')).classes('text-sm text-slate-600')
        if studio.photo.error is not None:
            error_box(studio.photo.error[0], studio.photo.error[1], title=_('This photo could not be used'))
        if studio.photo.busy:
            with ui.row().classes('items-center gap-3 py-4').mark('photo-checking'):
                ui.spinner(size='lg')
                ui.label(_('Checking your photo and looking for a face…'))
            return
        if ref is None:
            self._choose()
        else:
            self._checked(ref)
        self._navigation(has_photo=ref is not None)

    def _choose(self) -> None:
        studio = self.studio
        with ui.element('div').classes('w-full grid gap-4 md:grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)] '
                                       'items-start'):
            with ui.card().props('flat bordered').classes('w-full bg-white gap-2').mark('photo-guidance'):
                ui.label(_('What works best')).classes('font-semibold')
                for icon, text in GUIDANCE:
                    with ui.row().classes('items-center gap-2 no-wrap'):
                        ui.icon(icon, color='primary').classes('text-lg')
                        ui.label(_(text).format(side=GOOD_SIDE)).classes('text-sm')
            with ui.column().classes('w-full gap-2'):
                drop_zone(hint=_('{formats}, up to {size} MB').format(formats=accepted_label(),
                                                                    size=format_number(studio.photo.limit_mb)),
                          max_bytes=studio.photo.max_upload_bytes, on_upload=self._uploaded,
                          on_refused=studio.photo.refused).mark('photo-upload')
                ui.switch(_(CROP_SWITCH), value=studio.photo.crop,
                          on_change=lambda e: studio.photo.set_crop(bool(e.value))) \
                    .props('dense').classes('text-sm').mark('photo-crop')
                ui.label(_('The crop is made here, before the photo is sent; the largest face is kept.')) \
                    .classes('text-xs text-slate-500 -mt-1')

    def _checked(self, ref: RefPhoto) -> None:
        studio = self.studio
        with ui.row().classes('w-full gap-6 items-start'):
            ui.image(runtime.previews.url(studio.owner, 'ref', ref.photo_id)).classes('w-48 rounded-xl shadow') \
                .props('fit=cover').mark('photo-preview')
            with ui.column().classes('gap-2 grow min-w-[14rem]'):
                ui.label(_('{name} · {width}×{height} pixels').format(name=ref.filename, width=ref.width,
                                                                      height=ref.height)) \
                    .classes('text-xs text-slate-500') \
                    .mark('photo-name')
                if ref.crop in CROP_NOTES:
                    ui.label(_(CROP_NOTES[ref.crop])).classes('text-xs text-slate-500').mark('photo-crop-note')
                if ref.has_face:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('verified', color='positive').classes('text-2xl')
                        ui.label(_('Face found')).classes('font-semibold').mark('face-found')
                    if ref.face_count > 1:
                        error_box(faces_warning(ref.face_count), title=_('More than one face'),
                                  kind='warning').mark('many-faces')
                elif ref.acknowledged:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('info', color='warning').classes('text-2xl')
                        ui.label(_('No face found: continuing anyway.')).classes('font-semibold')
                else:
                    error_box(_('We could not find a face in this photo. You can still use it, but the cover may '
                                'look less like the person. Use it anyway or choose another photo.'),
                              title=_('No face found'), kind='warning').mark('no-face')
                    ui.button(_('Continue anyway'), icon='check', on_click=studio.photo.keep_without_face) \
                        .props('unelevated no-caps color=warning').mark('photo-continue')
                if (warning := resolution_warning(ref)) is not None:
                    error_box(warning, title=_('A small photo'), kind='warning').mark('photo-small')
                ui.button(_('Remove photo'), icon='delete', on_click=studio.photo.remove) \
                    .props('flat no-caps color=negative').mark('photo-remove')

    def _navigation(self, *, has_photo: bool) -> None:
        studio = self.studio
        with ui.stepper_navigation().classes('gap-2'):
            if has_photo:
                ui.button(_('Next: {step}').format(step=_('Cover')), on_click=lambda: studio.go_to('cover')) \
                    .props('unelevated no-caps icon-right=arrow_forward').mark('next-cover')
            else:
                ui.button(_('Continue without a photo'), on_click=studio.photo.skip) \
                    .props('unelevated no-caps icon-right=arrow_forward').mark('photo-skip')
            ui.button(_('Back'), on_click=lambda: studio.go_to('look')).props('flat no-caps')

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        await self.studio.photo.add(await event.file.read(), event.file.name)
