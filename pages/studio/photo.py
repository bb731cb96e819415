"""Step 2, Reference photo (optional): upload, see whether a face was found, keep it anyway or remove it."""

from __future__ import annotations

from nicegui import events, ui

from components.error_box import error_box
from components.photo_picker import guard_picker
from pages.studio.section import Section
from runtime import runtime
from services.studio.images import ACCEPTED_LABEL


class PhotoStep(Section):
    def key(self) -> object:
        studio, ref = self.studio, self.studio.draft.ref
        return ref.model_dump() if ref else None, studio.photo_busy, studio.photo_error

    @ui.refreshable_method
    def render(self) -> None:
        studio = self.studio
        ref = studio.draft.ref
        ui.label('Add a reference photo (optional)').classes('text-lg font-semibold')
        ui.label('The cover will resemble the face in the photo. A clear, front-facing portrait works best. '
                 'You can skip this step.').classes('text-sm text-slate-600')
        if studio.photo_error is not None:
            error_box(studio.photo_error[0], studio.photo_error[1], title='This photo could not be used')
        if studio.photo_busy:
            with ui.row().classes('items-center gap-3 py-4'):
                ui.spinner(size='lg')
                ui.label('Checking your photo and looking for a face…')
            return
        if ref is None:
            upload = ui.upload(label=f'{ACCEPTED_LABEL}, up to {studio.upload_limit_mb:g} MB', auto_upload=True,
                               max_file_size=studio.max_upload_bytes, on_upload=self._uploaded) \
                .props('accept=".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp" flat bordered') \
                .classes('w-full max-w-md').mark('photo-upload')
            guard_picker(upload, limit=studio.max_upload_bytes, on_refused=studio.photo_refused)
            ui.button('Skip: no reference photo', on_click=studio.skip_photo) \
                .props('flat no-caps').mark('photo-skip')
            return
        with ui.row().classes('w-full gap-6 items-start'):
            ui.image(runtime.previews.url(studio.owner, 'ref', ref.photo_id)).classes('w-48 rounded-xl shadow') \
                .props('fit=cover').mark('photo-preview')
            with ui.column().classes('gap-2 grow min-w-[14rem]'):
                ui.label(f'{ref.filename} · {ref.width}×{ref.height}').classes('text-xs text-slate-500')
                if ref.has_face:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('verified', color='positive').classes('text-2xl')
                        ui.label('Face found' + (f' ({ref.face_count} faces: the clearest is used)'
                                                 if ref.face_count > 1 else '')).classes('font-semibold') \
                            .mark('face-found')
                elif ref.acknowledged:
                    with ui.row().classes('items-center gap-2'):
                        ui.icon('info', color='warning').classes('text-2xl')
                        ui.label('No face found: continuing anyway.').classes('font-semibold')
                else:
                    error_box('We could not find a face in this photo. You can still use it, but the cover may '
                              'look less like the person. Use it anyway or choose another photo.',
                              title='No face found', kind='warning').mark('no-face')
                    ui.button('Continue anyway', icon='check', on_click=studio.keep_photo_without_face) \
                        .props('unelevated no-caps color=warning').mark('photo-continue')
                ui.button('Remove photo', icon='delete', on_click=studio.remove_photo) \
                    .props('flat no-caps color=negative').mark('photo-remove')

    async def _uploaded(self, event: events.UploadEventArguments) -> None:
        await self.studio.add_photo(await event.file.read(), event.file.name)
