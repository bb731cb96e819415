"""The reference-photo drop zone: drag a photo onto it or click it to choose one, read the formats and the size
limit, see progress only while the file is on its way, with the file's own name.

It is NiceGUI's `ui.upload` (Quasar's QUploader) underneath, so the upload route, the body limit, the picker's
refusals (components/photo_picker.py) and every test that hands a file to the uploader stay as they were; only its
look is the studio's. QUploader's own header (a coloured bar reading "0.0B / 0.00%") is replaced by a template of
ours through its `header` slot, and its file list (the empty white box) is hidden: the whole QUploader is already a
drop target, and `q-uploader-add-trigger` lays its file input over the zone, so a click anywhere on it chooses a
file and keyboard users reach the same input.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import events, ui

from components.photo_picker import Refused, guard_picker

ACCEPT = '.jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp'

_CSS = """
.studio-drop.q-uploader { width: 100%; max-height: none; box-shadow: none; background: transparent; }
.studio-drop .q-uploader__header { background: transparent; color: inherit; border-radius: inherit; }
.studio-drop .q-uploader__header:before { display: none; }
.studio-drop .q-uploader__list { display: none; }
.studio-drop .studio-drop-face { border: 2px dashed #c4b5fd; background: #f5f3ff; transition: background .12s ease; }
.studio-drop .studio-drop-face:hover, .studio-drop.q-uploader--dnd .studio-drop-face { background: #ede9fe;
  border-color: var(--q-primary); }
.studio-drop .q-uploader__dnd { outline: none; background: transparent; }
"""

# The zone's face. Vue template for QUploader's header slot: `props` is the uploader's scope (files, isUploading,
# pickFiles, ...; each file's __progress from 0 to 1). The hint is the studio's own sentence, escaped so that it
# can only ever be text.
_HEADER = """
<div class="studio-drop-face relative-position rounded-xl w-full px-4 py-8 flex flex-col items-center gap-1
            text-center cursor-pointer">
  <q-uploader-add-trigger />
  <q-icon name="add_photo_alternate" size="2.75rem" color="primary" />
  <div class="text-base font-semibold text-slate-800">Drop a photo here, or click to choose one</div>
  <div class="text-xs text-slate-600">{hint}</div>
  <div v-if="props.isUploading" class="w-full max-w-xs mt-3">
    <div class="text-xs text-slate-700 truncate">
      Uploading {{{{ props.files.length ? props.files[0].name : 'your photo' }}}} ·
      {{{{ Math.round(100 * (props.files.length ? props.files[0].__progress || 0 : 0)) }}}} %
    </div>
    <q-linear-progress class="mt-1" rounded color="primary" size="6px"
                       :value="props.files.length ? props.files[0].__progress : 0" />
  </div>
</div>
"""


def drop_zone(*, hint: str, max_bytes: int, on_upload: Callable[[events.UploadEventArguments], Awaitable[None]],
              on_refused: Refused) -> ui.upload:
    """A drop zone that uploads the one photo dropped or chosen; `hint` says which formats and how large."""
    ui.add_css(_CSS, shared=True)
    upload = ui.upload(auto_upload=True, max_file_size=max_bytes, on_upload=on_upload) \
        .props(f'accept="{ACCEPT}" flat no-thumbnails') \
        .classes('studio-drop w-full max-w-xl')
    upload.add_slot('header', _HEADER.format(hint=_escape(hint)))
    guard_picker(upload, limit=max_bytes, on_refused=on_refused)
    return upload


def _escape(text: str) -> str:
    """The hint is the studio's own sentence, but it goes into a Vue template: no markup, no moustaches."""
    return (text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('{', '&#123;').replace('}', '&#125;'))
