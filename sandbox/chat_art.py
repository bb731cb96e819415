"""Sandbox chat pictures (POST /v1/chat/image), drawn with Pillow. CPU work: call from a thread.

A chat picture is the agent exactly as its cover draws it (cover_art.draw_cover on the agent's attributes and the
sandbox seed), framed by a scene that changes with the request (colours and shapes around the figure, never on
it), with the request itself written on the picture, so a test or a person can see at a glance which request a
picture answers. Marked SANDBOX like every sandbox image.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import cover_art

WIDTH, HEIGHT = 576, 768
# A font with Chinese and Japanese glyphs when the machine has one (Debian's fonts-noto-cjk); else Pillow's own.
CJK_FONTS = ('/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
             '/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc',
             '/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc')
LOOK_FIELDS = ('gender', 'age', 'ethnicity', 'bodyType', 'breastSize', 'buttSize', 'hairColor', 'hairStyle')


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONTS:
        if Path(path).is_file():
            try:
                return ImageFont.truetype(path, size)
            except OSError:
                continue
    return ImageFont.load_default(size=size)


def draw_chat_picture(agent: Mapping[str, object], request: str, *, seed: int = 0) -> bytes:
    """The PNG for `request` in this agent's conversation; the same inputs and seed give the same picture."""
    look = {field: str(agent[field]) for field in LOOK_FIELDS if agent.get(field)}
    portrait = cover_art.draw_cover(look, seed=seed, decorations=False)  # the figure of the agent's cover
    image = portrait.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image, 'RGBA')
    _scene(draw, random.Random(hashlib.sha256(f'{seed}|{request}'.encode()).digest()))
    lines = _wrap(draw, f'“{" ".join(request.split())}”', _font(26), WIDTH - 80)[:4]
    top = HEIGHT - 40 - 36 * len(lines) - 24
    draw.rounded_rectangle((24, top, WIDTH - 24, HEIGHT - 24), radius=20, fill=(0, 0, 0, 150))
    for index, line in enumerate(lines):
        draw.text((WIDTH // 2, top + 30 + 36 * index), line, font=_font(26), fill=(255, 255, 255), anchor='mm')
    draw.rounded_rectangle((20, 20, 300, 60), radius=10, fill=(220, 38, 38, 210))
    draw.text((160, 40), 'SANDBOX CHAT PICTURE', font=_font(18), fill=(255, 255, 255), anchor='mm')
    return cover_art.png_bytes(image)


def _scene(draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    """What the request changes: a coloured frame and shapes in the margins beside the figure."""
    colour = (rng.randrange(60, 256), rng.randrange(60, 256), rng.randrange(60, 256))
    draw.rectangle((0, 0, WIDTH - 1, HEIGHT - 1), outline=(*colour, 230), width=14)
    for _ in range(9):
        x = rng.choice((rng.randrange(20, 110), rng.randrange(WIDTH - 110, WIDTH - 20)))
        y, r = rng.randrange(80, HEIGHT - 200), rng.randrange(8, 26)
        shade = tuple(min(255, c + rng.randrange(-40, 41)) for c in colour)
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(*shade, 170))
        else:
            draw.regular_polygon((x, y, r), 5, rotation=rng.randrange(72), fill=(*shade, 170))


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          width: int) -> list[str]:
    """Lines no wider than `width`: at spaces where there are any, else at any character (Chinese, Japanese)."""
    lines: list[str] = []
    line = ''
    tokens = text.split(' ') if ' ' in text else list(text)
    joiner = ' ' if ' ' in text else ''
    for token in tokens:
        candidate = f'{line}{joiner}{token}' if line else token
        if draw.textlength(candidate, font=font) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = token
    if line:
        lines.append(line)
    if len(lines) > 4:
        lines = [*lines[:3], lines[3].rstrip() + ' …']
    return lines
