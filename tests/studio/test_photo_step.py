"""The reference-photo step (issue 18 item 2, issue 17 item 5): the drop zone, the guidance, what the check found
(resolution, more than one face), the optional crop around the face, and one clear way on without a photo."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User
from PIL import Image

from runtime import runtime
from services.studio import face_crop, photos
from services.studio.face_crop import crop_to_face, square_around
from services.studio.images import process_upload
from tests.support.sandbox_server import RunningSandbox
from tests.support.studio_support import (
    FEMALE_LOOK,
    FIXTURES,
    StudioEnv,
    choose_look,
    click,
    open_studio,
    see,
    studio_env,
    texts,
    upload,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> StudioEnv:
    return studio_env(monkeypatch, tmp_path, sandbox)


@pytest.fixture
async def photo_step(env: StudioEnv, user: User) -> User:
    await open_studio(user)
    await choose_look(user, 'female', FEMALE_LOOK)
    click(user, 'next-photo')
    await see(user, 'photo-upload')
    return user


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, 'PNG')
    return out.getvalue()


async def test_before_upload_the_guidance_the_drop_zone_and_one_way_on(photo_step: User) -> None:
    user = photo_step
    for words in ('What works best', 'One face', 'from the front', 'Sharp', 'plain background',
                  'At least 512 × 512 pixels', 'draws a new face inspired by'):
        await see(user, content=words)
    (zone,) = user.find(marker='photo-upload').elements
    assert isinstance(zone, ui.upload)
    header = zone.slots['header'].template or ''
    # The studio's own face: drop or click, the formats and the size; the progress line only while uploading.
    assert 'Drop a photo here, or click to choose one' in header and 'JPEG, PNG or WebP, up to 10 MB' in header
    assert 'v-if="props.isUploading"' in header and 'q-uploader-add-trigger' in header
    assert '0.00%' not in header
    # One way on without a photo, and no second button that looks like the same action.
    assert texts(user, 'photo-skip') == ['Continue without a photo']
    await user.should_not_see(marker='next-cover')
    await user.should_not_see('Skip: no reference photo')
    click(user, 'photo-skip')
    draft = runtime.drafts.get('account-alice')
    assert draft.photo_skipped and draft.step == 'cover'


async def test_the_photo_keeps_its_own_name_and_its_resolution_is_shown(photo_step: User) -> None:
    user = photo_step
    await upload(user, 'astronaut.png')
    await see(user, 'face-found')
    assert texts(user, 'photo-name') == ['astronaut.png · 512×512 pixels']  # it used to say astronaut.jpg
    await user.should_not_see(marker='many-faces')
    await user.should_not_see(marker='photo-small')
    # With a photo the way on is Next, and no "Continue without a photo" next to it.
    await see(user, 'next-cover')
    await user.should_not_see(marker='photo-skip')


async def test_more_than_one_face_is_a_warning_with_the_count(photo_step: User) -> None:
    user = photo_step
    await upload(user, 'two-faces.jpg', content_type='image/jpeg')
    await see(user, 'many-faces')
    await see(user, content='2 faces were found. The platform takes one of them')
    assert runtime.drafts.get('account-alice').ref.face_count == 2  # type: ignore[union-attr]


async def test_a_small_photo_is_used_with_a_warning(photo_step: User) -> None:
    user = photo_step
    small = Image.open(FIXTURES / 'astronaut.png').convert('RGB').resize((300, 300))
    await upload(user, 'small.png', png(small))
    await see(user, 'photo-small')
    await see(user, content='This photo is 300×300 pixels, smaller than the 512 pixels')


async def test_the_crop_cuts_a_square_around_the_face_before_the_photo_is_sent(
        photo_step: User, monkeypatch: pytest.MonkeyPatch) -> None:
    user = photo_step
    threads: list[bool] = []
    real = face_crop.crop_to_face

    def recording(processed: object) -> face_crop.Cropped:
        threads.append(threading.current_thread() is threading.main_thread())
        return real(processed)  # type: ignore[arg-type]

    monkeypatch.setattr(photos, 'crop_to_face', recording)
    (switch,) = user.find(marker='photo-crop').elements
    assert isinstance(switch, ui.switch) and switch.value is False  # optional: off unless asked for
    with user:
        switch.value = True
    await upload(user, 'astronaut-wide.jpg', content_type='image/jpeg')  # 1400×700, the face right of centre
    await see(user, 'face-found')
    assert texts(user, 'photo-name') == ['astronaut-wide.jpg · 512×512 pixels']
    await see(user, content='Cropped to a square around the face before it was sent.')
    assert threads == [False]  # off the event loop
    ref = runtime.drafts.get('account-alice').ref
    assert ref is not None and ref.crop == 'cropped'
    # What the platform got is the square.
    sent = await runtime.jobs.images.load('account-alice', ref.photo_id, photos.PHOTO_SUFFIX)
    assert sent is not None and Image.open(io.BytesIO(sent)).size == (512, 512)


async def test_the_crop_with_no_face_to_crop_around_sends_the_whole_photo(photo_step: User) -> None:
    user = photo_step
    (switch,) = user.find(marker='photo-crop').elements
    with user:
        switch.value = True
    await upload(user, 'coffee.png')
    await see(user, 'no-face')
    await see(user, content='Not cropped: no face was found to crop around, so the whole photo was sent.')
    assert texts(user, 'photo-name') == ['coffee.png · 600×400 pixels']


def test_the_square_stays_inside_the_photo_and_centres_the_face() -> None:
    assert square_around((900, 100, 100, 100), 1000, 600) == (488, 0, 512, 512)  # pushed back inside
    assert square_around((400, 250, 100, 100), 1000, 600) == (194, 44, 512, 512)  # centred
    assert square_around((10, 10, 50, 50), 300, 200) == (0, 0, 200, 200)  # a small photo: as large as it allows
    processed = process_upload((FIXTURES / 'astronaut.png').read_bytes(), 'a.png', max_bytes=10 << 20)
    assert crop_to_face(processed).outcome == 'already_square'  # 512×512 already: nothing to cut


def test_a_shown_name_is_the_files_own_and_safe() -> None:
    assert photos.shown_name('astronaut.png') == 'astronaut.png'
    assert photos.shown_name('../../etc/passwd') == 'passwd'
    assert photos.shown_name('C:\\Users\\me\\Holiday photo.JPG') == 'Holiday photo.JPG'
    assert photos.shown_name('') == photos.shown_name('...') == 'photo'
    hostile = photos.shown_name('<img src=x onerror=alert(1)>.png')
    assert '<' not in hostile and '>' not in hostile and hostile.endswith('.png')
    assert len(photos.shown_name('a' * 300 + '.webp')) <= 80
