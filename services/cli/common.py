"""What the command-line client's commands share: exit codes, the error that carries one, local image files."""

from __future__ import annotations

import base64
import binascii
import mimetypes
import os
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from services.core.errors import UserFacingError

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2  # bad flags or request fields (argparse uses 2 as well)
EXIT_CONFIG = 3  # missing or malformed environment variables
EXIT_LOCAL_FILE = 4  # a file to upload could not be read, or --out could not be written
EXIT_AUTH = 10  # HTTP 401
EXIT_BUSINESS = 11  # success: false
EXIT_PROTOCOL = 12  # not the documented envelope
EXIT_UNREACHABLE = 13  # connection refused or dropped
EXIT_TIMEOUT = 14  # no answer in time
EXIT_TRANSPORT = 15  # any other transport failure
EXIT_INTERRUPTED = 130


class CliError(UserFacingError):
    """A failure before or around the API call, with the exit code it deserves; the message is for the terminal."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def image_file(path: Path) -> tuple[bytes, str, str]:
    """(content, filename, content type), the type from what the bytes are rather than the file name."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise CliError(f'cannot read {path}: {error.strerror or error}', EXIT_LOCAL_FILE) from None
    content_type = None
    try:
        with Image.open(path) as image:
            content_type = Image.MIME.get(image.format or '')
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    content_type = content_type or mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
    return content, path.name, content_type


def check_writable(path: Path) -> None:
    if path.is_dir():
        raise CliError(f'--out {path} is a directory; give a file name', EXIT_USAGE)
    folder = path.parent if str(path.parent) else Path('.')
    if not folder.is_dir():
        raise CliError(f'--out {path}: the folder {folder} does not exist', EXIT_LOCAL_FILE)
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise CliError(f'--out {path}: not writable', EXIT_LOCAL_FILE)


def write_image(path: Path, image: bytes, hint: str) -> None:
    try:
        path.write_bytes(image)
    except OSError as error:
        raise CliError(f'cannot write {path}: {error.strerror or error} ({hint})', EXIT_LOCAL_FILE) from None


def decode_data_url(data_url: str) -> tuple[bytes, str]:
    """'data:image/png;base64,...' -> (bytes, 'image/png')."""
    header, sep, payload = data_url.partition(',')
    if not sep or not header.startswith('data:') or not header.endswith(';base64'):
        raise CliError('the image data is not a base64 data: URL, so it cannot be written to a file',
                       EXIT_PROTOCOL)
    try:
        return base64.b64decode(payload, validate=True), header[5:].removesuffix(';base64') or 'image/png'
    except (binascii.Error, ValueError):
        raise CliError('the image data is not valid base64', EXIT_PROTOCOL) from None
