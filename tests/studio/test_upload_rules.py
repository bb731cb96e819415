"""A GIF, a HEIC photo and a file over the limit each get their own sentence (issue 12, item 7).

Before, all three got "larger than 10 MB or not a JPEG, PNG or WebP" in the browser. The picker's words and the
server's are the same sentences, so a file that slips past the browser is told the same thing.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from services.studio.images import ImageRejected, process_upload
from services.studio.upload_rules import format_refusal, kind_of_bytes, picker_refusal, too_large_message

MB = 1024 * 1024
LIMIT = 10 * MB
# The first 16 bytes of an iPhone HEIC photo and of an AVIF image: an ISO media file with its brand.
HEIC_HEAD = b'\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic'
AVIF_HEAD = b'\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1'


@pytest.mark.parametrize(('name', 'size', 'mime', 'reason', 'says'), [
    ('IMG_0042.HEIC', 2 * MB, 'image/heic', 'accept', 'HEIC is not supported: export the photo as JPEG'),
    ('IMG_0042.heic', 14 * MB, '', 'accept', 'HEIC is not supported: export the photo as JPEG'),  # big HEIC
    ('party.gif', 1 * MB, 'image/gif', 'accept', 'GIF is not supported'),
    ('party.gif', 30 * MB, 'image/gif', 'max-file-size', 'GIF is not supported'),  # the format is the point
    ('holiday.jpg', 14 * MB, 'image/jpeg', 'max-file-size', 'The file is 14.0 MB; the limit is 10.0 MB.'),
    ('scan.tiff', 1 * MB, 'image/tiff', 'accept', 'TIFF files are not supported: choose a photo in JPEG, PNG'),
    ('pic.avif', 1 * MB, 'image/avif', 'accept', 'AVIF is not supported'),
    ('no-extension', 1 * MB, 'application/octet-stream', 'accept', 'This file is not supported'),
])
def test_the_picker_says_why(name: str, size: int, mime: str, reason: str, says: str) -> None:
    assert picker_refusal(name, size, mime, reason, LIMIT).startswith(says)


def test_the_three_cases_of_the_issue_read_differently() -> None:
    messages = {picker_refusal('a.gif', MB, 'image/gif', 'accept', LIMIT),
                picker_refusal('a.heic', MB, 'image/heic', 'accept', LIMIT),
                picker_refusal('a.jpg', 12 * MB, 'image/jpeg', 'max-file-size', LIMIT)}
    assert len(messages) == 3


def test_the_server_names_heic_and_avif_by_their_bytes() -> None:
    assert kind_of_bytes(HEIC_HEAD + bytes(100)) == 'heic'
    assert kind_of_bytes(AVIF_HEAD + bytes(100)) == 'avif'
    assert kind_of_bytes(b'\x89PNG\r\n\x1a\n' + bytes(100)) is None
    with pytest.raises(ImageRejected) as refused:
        process_upload(HEIC_HEAD + bytes(4000), 'photo.jpg', max_bytes=LIMIT)  # whatever its name says
    assert refused.value.user_message == format_refusal('heic')


def test_the_server_and_the_picker_use_the_same_words() -> None:
    gif = io.BytesIO()
    Image.new('RGB', (10, 10)).save(gif, 'GIF')
    with pytest.raises(ImageRejected) as refused:
        process_upload(gif.getvalue(), 'x.gif', max_bytes=LIMIT)
    assert refused.value.user_message == picker_refusal('x.gif', 100, 'image/gif', 'accept', LIMIT)
    with pytest.raises(ImageRejected) as too_big:
        process_upload(bytes(LIMIT + MB), 'x.jpg', max_bytes=LIMIT)
    assert too_big.value.user_message == too_large_message(LIMIT + MB, LIMIT) == \
        picker_refusal('x.jpg', LIMIT + MB, 'image/jpeg', 'max-file-size', LIMIT)
