"""Sandbox cover portraits and option previews, drawn with Pillow. CPU work: call from a thread.

A cover is a 768×1024 stylised portrait: hair colour and style, skin tone from ethnicity, build from
body type, grey hair and lines from age, all visible at a glance, plus a "SANDBOX" mark so a sandbox
image is never mistaken for a real one. The same inputs and seed always give the same picture.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from . import body_art, catalogue

WIDTH, HEIGHT = 768, 1024
HEAD_CX, HEAD_CY, HEAD_W, HEAD_H = 384, 400, 230, 296
PNG_COMPRESSION = 3  # level 6 costs several times the CPU for a few percent smaller data URLs

Colour = tuple[int, int, int]

SHOULDERS = {'slim': 300, 'petite': 270, 'athletic': 360, 'curvy': 330, 'plus_size': 410, 'muscular': 440,
             'average': 350, 'stocky': 420}
BACKGROUNDS: tuple[tuple[Colour, Colour], ...] = (
    ((34, 40, 78), (121, 72, 140)), ((18, 70, 84), (86, 170, 160)), ((86, 30, 48), (220, 120, 96)),
    ((28, 28, 36), (90, 96, 120)), ((40, 62, 40), (168, 196, 120)), ((60, 36, 92), (236, 160, 200)),
)
CLOTHES: tuple[Colour, ...] = ((52, 73, 94), (142, 68, 173), (22, 160, 133), (192, 57, 43), (236, 240, 241),
                               (44, 62, 80), (211, 84, 0), (39, 174, 96))
EYES: tuple[Colour, ...] = ((74, 52, 36), (52, 94, 60), (60, 96, 150), (40, 30, 26), (110, 90, 60))


def hex_colour(text: str | None, default: Colour = (128, 128, 128)) -> Colour:
    if not text:
        return default
    text = text.lstrip('#')
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def mix(a: Colour, b: Colour, t: float) -> Colour:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))  # type: ignore[return-value]


def shade(c: Colour, t: float) -> Colour:
    return mix(c, (0, 0, 0), t) if t > 0 else mix(c, (255, 255, 255), -t)


def _rng(seed: int, attrs: Mapping[str, str | None]) -> random.Random:
    text = f'{seed}|' + '|'.join(f'{k}={attrs[k]}' for k in sorted(attrs) if attrs[k])
    return random.Random(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], 'big'))


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _gradient(top: Colour, bottom: Colour, size: tuple[int, int]) -> Image.Image:
    ramp = Image.linear_gradient('L').resize((1, size[1]))  # 0..255 top to bottom
    return Image.composite(Image.new('RGB', (1, size[1]), bottom), Image.new('RGB', (1, size[1]), top),
                           ramp).resize(size)


def _age_grey(age: str | None) -> float:
    return {'46-55': 0.35, '56-70': 0.7}.get(age or '', 0.0)


def draw_cover(attrs: Mapping[str, str | None], *, seed: int = 0, face: Image.Image | None = None,
               decorations: bool = True) -> Image.Image:
    """The portrait for these cover attributes; `face` (a crop of the reference photo) is worked in."""
    rng = _rng(seed, attrs)
    gender = attrs.get('gender') or 'female'
    ethnicity = catalogue.find('Ethnicity', attrs.get('ethnicity') or '')
    skin = hex_colour(ethnicity.colour if ethnicity else None, (224, 176, 138))
    hair_choice = catalogue.find('HairColor', attrs.get('hairColor') or '')
    hair = hex_colour(hair_choice.colour if hair_choice else None, (60, 40, 30))
    hair = mix(hair, (200, 200, 200), _age_grey(attrs.get('age')))
    style = attrs.get('hairStyle') or ''
    body = attrs.get('bodyType') or 'average'

    top, bottom = BACKGROUNDS[rng.randrange(len(BACKGROUNDS))]
    img = _gradient(top, bottom, (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(img, 'RGBA')
    for _ in range(7):  # soft bokeh, different per character
        r = rng.randint(30, 110)
        x, y = rng.randint(0, WIDTH), rng.randint(0, 700)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 255, rng.randint(12, 34)))

    _back_hair(draw, style, hair, rng)
    _body(draw, gender, body, attrs, skin, CLOTHES[rng.randrange(len(CLOTHES))])
    _head(draw, gender, skin, hair, attrs.get('age'), EYES[rng.randrange(len(EYES))], rng)
    if face is not None:
        _paste_face(img, face)
        draw = ImageDraw.Draw(img, 'RGBA')
    _front_hair(draw, style, hair, rng)
    if decorations:  # option previews are crops of a portrait and carry neither
        _caption(draw, attrs)
        _sandbox_mark(img)
    return img


def _body(draw: ImageDraw.ImageDraw, gender: str, body: str, attrs: Mapping[str, str | None], skin: Colour,
          cloth: Colour) -> None:
    half = SHOULDERS.get(body, 340) // 2
    neck_w = 64 if gender == 'female' else 84
    draw.rectangle((HEAD_CX - neck_w // 2, HEAD_CY + 100, HEAD_CX + neck_w // 2, 640), fill=skin)
    draw.polygon([(HEAD_CX - neck_w // 2, 610), (HEAD_CX + neck_w // 2, 610), (HEAD_CX + neck_w // 2 + 10, 660),
                  (HEAD_CX - neck_w // 2 - 10, 660)], fill=shade(skin, 0.12))
    hips = {'small': 0.9, 'medium': 1.0, 'large': 1.12, 'athletic': 1.04}.get(attrs.get('buttSize') or '', 1.0)
    lower = int(half * (hips if gender == 'female' else 1.0))
    shoulder_y = 650
    draw.rounded_rectangle((HEAD_CX - half, shoulder_y, HEAD_CX + half, shoulder_y + 120), radius=60, fill=cloth)
    draw.polygon([(HEAD_CX - half, shoulder_y + 60), (HEAD_CX + half, shoulder_y + 60),
                  (HEAD_CX + lower + 30, HEIGHT), (HEAD_CX - lower - 30, HEIGHT)], fill=cloth)
    # Neckline.
    draw.pieslice((HEAD_CX - neck_w, shoulder_y - 40, HEAD_CX + neck_w, shoulder_y + 70), 0, 180, fill=skin)
    if gender == 'female':
        bust = {'small': 0.55, 'medium': 0.75, 'large': 0.95, 'extra_large': 1.15}.get(
            attrs.get('breastSize') or '', 0.7)
        r = int(58 * bust)
        for side in (-1, 1):
            cx = HEAD_CX + side * int(half * 0.42)
            draw.arc((cx - r, 770 - r * 0.8, cx + r, 770 + r * 0.8), 30, 150, fill=(*shade(cloth, 0.3), 160),
                     width=4)
    elif body in ('muscular', 'athletic'):
        for side in (-1, 1):
            cx = HEAD_CX + side * int(half * 0.38)
            draw.arc((cx - 70, 720, cx + 70, 820), 10, 170, fill=shade(cloth, 0.3), width=5)


def _head(draw: ImageDraw.ImageDraw, gender: str, skin: Colour, hair: Colour, age: str | None, eye: Colour,
          rng: random.Random) -> None:
    w, h = (HEAD_W, HEAD_H) if gender == 'female' else (HEAD_W + 16, HEAD_H + 6)
    box = (HEAD_CX - w // 2, HEAD_CY - h // 2, HEAD_CX + w // 2, HEAD_CY + h // 2)
    for side in (-1, 1):  # ears
        ex = HEAD_CX + side * (w // 2)
        draw.ellipse((ex - 20, HEAD_CY - 20, ex + 20, HEAD_CY + 40), fill=shade(skin, 0.06))
    draw.ellipse(box, fill=skin)
    if gender == 'male':
        draw.chord((box[0] + 6, HEAD_CY + 10, box[2] - 6, box[3] + 8), 0, 180, fill=skin)
        if age not in (None, '18-25') and rng.random() < 0.6:  # stubble
            draw.chord((box[0] + 20, HEAD_CY + 40, box[2] - 20, box[3]), 10, 170, fill=(*shade(hair, -0.2), 70))
    eye_y = HEAD_CY - 6
    for side in (-1, 1):
        ex = HEAD_CX + side * 50
        draw.ellipse((ex - 24, eye_y - 13, ex + 24, eye_y + 13), fill=(250, 250, 250))
        draw.ellipse((ex - 11, eye_y - 11, ex + 11, eye_y + 11), fill=eye)
        draw.ellipse((ex - 5, eye_y - 5, ex + 5, eye_y + 5), fill=(15, 15, 15))
        brow_w = 6 if gender == 'female' else 10
        draw.line((ex - 28, eye_y - 34 + side * 0, ex + 28, eye_y - 38), fill=shade(hair, 0.2), width=brow_w)
        if gender == 'female':
            draw.line((ex - 26, eye_y - 12, ex + 26, eye_y - 14), fill=(30, 20, 20), width=4)
        if _age_grey(age) > 0:  # crow's feet
            fx = ex + side * 34
            for dy in (-8, 0, 8):
                draw.line((fx, eye_y + dy // 2, fx + side * 16, eye_y + dy), fill=shade(skin, 0.3), width=2)
    draw.line((HEAD_CX, HEAD_CY + 10, HEAD_CX - 10, HEAD_CY + 52, HEAD_CX + 6, HEAD_CY + 56),
              fill=shade(skin, 0.25), width=4)
    lips = (196, 92, 110) if gender == 'female' else shade(skin, 0.35)
    draw.arc((HEAD_CX - 38, HEAD_CY + 60, HEAD_CX + 38, HEAD_CY + 100), 20, 160, fill=lips, width=7)
    if _age_grey(age) >= 0.7:
        draw.arc((HEAD_CX - 70, HEAD_CY + 30, HEAD_CX - 30, HEAD_CY + 100), 100, 200, fill=shade(skin, 0.25),
                 width=2)
        draw.arc((HEAD_CX + 30, HEAD_CY + 30, HEAD_CX + 70, HEAD_CY + 100), -20, 80, fill=shade(skin, 0.25),
                 width=2)


def _back_hair(draw: ImageDraw.ImageDraw, style: str, hair: Colour, rng: random.Random) -> None:
    left, right, top = HEAD_CX - HEAD_W // 2 - 26, HEAD_CX + HEAD_W // 2 + 26, HEAD_CY - HEAD_H // 2 - 30
    dark = shade(hair, 0.15)
    if style == 'long_straight':
        draw.rounded_rectangle((left - 10, top + 40, right + 10, 820), radius=80, fill=dark)
    elif style == 'long_wavy':
        points = [(left - 20 + 18 * math.sin(y / 28), y) for y in range(top + 60, 860, 12)]
        points += [(right + 20 + 18 * math.sin(y / 28 + 1), y) for y in range(860, top + 60, -12)]
        draw.polygon(points, fill=dark)
    elif style in ('bob', 'shoulder_length'):
        draw.rounded_rectangle((left - 8, top + 40, right + 8, 560 if style == 'bob' else 640), radius=70, fill=dark)
    elif style == 'ponytail':
        draw.ellipse((right - 30, top + 60, right + 80, top + 380), fill=dark)
    elif style == 'curly':
        for _ in range(70):
            a = rng.uniform(math.pi * 0.9, math.pi * 2.1)
            r = rng.uniform(0.95, 1.2)
            x = HEAD_CX + math.cos(a) * HEAD_W * 0.62 * r
            y = HEAD_CY - 30 + math.sin(a) * HEAD_H * 0.55 * r
            s = rng.randint(26, 44)
            draw.ellipse((x - s, y - s, x + s, y + s), fill=shade(hair, rng.uniform(0.0, 0.25)))


def _front_hair(draw: ImageDraw.ImageDraw, style: str, hair: Colour, rng: random.Random) -> None:
    w, h = HEAD_W + 24, HEAD_H
    cap = (HEAD_CX - w // 2, HEAD_CY - h // 2 - 22, HEAD_CX + w // 2, HEAD_CY + 40)
    if style in ('buzz_cut',):
        draw.chord((cap[0] + 8, cap[1] + 18, cap[2] - 8, cap[3]), 180, 360, fill=(*hair, 150))
        return
    if style == 'undercut':
        draw.chord((cap[0] + 6, cap[1] + 14, cap[2] - 6, cap[3]), 180, 360, fill=(*shade(hair, -0.3), 120))
        draw.chord((cap[0] + 30, cap[1] - 10, cap[2] - 30, cap[3] - 60), 180, 360, fill=hair)
        return
    draw.chord(cap, 180, 360, fill=hair)
    if style in ('long_straight', 'long_wavy', 'bob', 'shoulder_length', 'braids', 'ponytail', 'bun', 'curly'):
        for side in (-1, 1):  # side locks framing the face
            x = HEAD_CX + side * (w // 2 - 18)
            draw.rounded_rectangle((min(x, x - side * 34), HEAD_CY - 90, max(x, x - side * 34), HEAD_CY + 60),
                                   radius=16, fill=hair)
    if style == 'bun' or style == 'man_bun':
        r = 56 if style == 'bun' else 40
        draw.ellipse((HEAD_CX - r, cap[1] - r * 1.4, HEAD_CX + r, cap[1] + r * 0.6), fill=hair)
    elif style == 'quiff':
        draw.ellipse((HEAD_CX - 90, cap[1] - 50, HEAD_CX + 70, cap[1] + 60), fill=hair)
    elif style == 'pixie':
        draw.polygon([(cap[0] + 10, HEAD_CY - 100), (HEAD_CX + 40, cap[1] + 40), (HEAD_CX - 20, HEAD_CY - 60)],
                     fill=hair)
    elif style == 'braids':
        for side in (-1, 1):
            x = HEAD_CX + side * (w // 2 - 10)
            for i in range(9):
                y = HEAD_CY + 40 + i * 34
                draw.ellipse((x - 20, y - 20, x + 20, y + 20), fill=shade(hair, 0.1 * (i % 2)))
    elif style == 'curly':
        for _ in range(14):
            x = rng.randint(cap[0] + 20, cap[2] - 20)
            y = rng.randint(cap[1], cap[1] + 70)
            draw.ellipse((x - 24, y - 24, x + 24, y + 24), fill=shade(hair, rng.uniform(0.0, 0.2)))
    elif style == 'long_wavy':
        draw.arc((cap[0] + 20, cap[1] + 40, cap[2] - 20, cap[3] + 20), 200, 340, fill=shade(hair, -0.25), width=6)


def _paste_face(img: Image.Image, face: Image.Image) -> None:
    """The reference photo's face, scaled onto the head inside a feathered ellipse."""
    fw, fh = HEAD_W - 36, HEAD_H - 70
    crop = face.convert('RGB').resize((fw, fh), Image.Resampling.BILINEAR)
    mask = Image.new('L', (fw, fh), 0)
    ImageDraw.Draw(mask).ellipse((8, 8, fw - 8, fh - 8), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(7))
    img.paste(crop, (HEAD_CX - fw // 2, HEAD_CY - fh // 2 + 20), mask)


def _caption(draw: ImageDraw.ImageDraw, attrs: Mapping[str, str | None]) -> None:
    def en(category: str, field: str) -> str:
        return catalogue.label_of(category, attrs.get(field), 'en') or ''

    line1 = ' · '.join(filter(None, [(attrs.get('gender') or '').capitalize(), en('Age', 'age'),
                                     en('Ethnicity', 'ethnicity')]))
    line2 = ' · '.join(filter(None, [f'{en("HairColor", "hairColor")} {en("HairStyle", "hairStyle").lower()}'.strip(),
                                     en('BodyType', 'bodyType')]))
    draw.rounded_rectangle((40, 890, WIDTH - 40, 990), radius=22, fill=(0, 0, 0, 140))
    draw.text((WIDTH // 2, 920), line1, font=_font(30), fill=(255, 255, 255), anchor='mm')
    draw.text((WIDTH // 2, 960), line2, font=_font(26), fill=(225, 225, 225), anchor='mm')


def _sandbox_mark(img: Image.Image) -> None:
    """A diagonal corner ribbon plus a header label: impossible to miss, impossible to crop out quietly."""
    ribbon = Image.new('RGBA', (420, 64), (220, 38, 38, 225))
    ImageDraw.Draw(ribbon).text((210, 32), 'SANDBOX', font=_font(38), fill=(255, 255, 255), anchor='mm')
    ribbon = ribbon.rotate(-45, expand=True, resample=Image.Resampling.BICUBIC)
    img.paste(ribbon, (WIDTH - ribbon.width + 110, -110), ribbon)
    draw = ImageDraw.Draw(img, 'RGBA')
    draw.rounded_rectangle((24, 24, 268, 70), radius=12, fill=(0, 0, 0, 130))
    draw.text((146, 47), 'SANDBOX PREVIEW', font=_font(24), fill=(255, 255, 255), anchor='mm')


def face_crop(photo: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """The detected face with a margin (forehead and chin), clamped to the photo."""
    x, y, w, h = box
    mx, my = int(w * 0.12), int(h * 0.2)
    return photo.crop((max(0, x - mx), max(0, y - my), min(photo.width, x + w + mx), min(photo.height, y + h + my)))


FACE_THUMBNAIL = 256


def face_thumbnail(photo: Image.Image, box: tuple[int, int, int, int]) -> bytes:
    crop = face_crop(photo, box)
    crop.thumbnail((FACE_THUMBNAIL, FACE_THUMBNAIL), Image.Resampling.LANCZOS)
    return png_bytes(crop)


def load_face(thumbnail: Path, photo_path: Path, box: tuple[int, int, int, int]) -> Image.Image:
    """The stored face thumbnail; the full photo is decoded only if the thumbnail went missing."""
    if thumbnail.is_file():
        with Image.open(thumbnail) as face:
            return face.convert('RGB')
    with Image.open(photo_path) as photo:
        return face_crop(photo.convert('RGB'), box)


def png_bytes(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, 'PNG', compress_level=PNG_COMPRESSION)
    return out.getvalue()


PREVIEW_SIZE = 128


# Option previews that are best shown on the portrait's head: which field they set and which part to show. The body
# options are not: the portrait stops at the shoulders, so body_art draws a whole figure for them.
HEAD_CROP = (164, 150, 604, 590)
FIGURE_PREVIEWS = {'Age': ('age', HEAD_CROP), 'Ethnicity': ('ethnicity', HEAD_CROP),
                   'HairStyle': ('hairStyle', HEAD_CROP)}
PREVIEW_BASE = {'female': {'gender': 'female', 'age': '26-35', 'ethnicity': 'mixed', 'bodyType': 'slim',
                           'breastSize': 'medium', 'buttSize': 'medium', 'hairColor': 'brown',
                           'hairStyle': 'long_straight'},
                'male': {'gender': 'male', 'age': '26-35', 'ethnicity': 'mixed', 'bodyType': 'average',
                         'hairColor': 'brown', 'hairStyle': 'short_crop'}}


def draw_preview(category: str, code: str, gender: str | None = None) -> bytes:
    """A small tile for an option: the option on a figure (ages, looks, builds and sizes), a colour swatch where
    the option is a colour, else a monogram tile."""
    choice = catalogue.find(category, code)
    if choice is not None and category in body_art.BODY_CATEGORIES:
        figure = gender if gender in choice.genders else choice.genders[0]
        if body_art.draws(category, code, figure):
            return body_art.draw_body_preview(category, code, figure, PREVIEW_SIZE)
    if choice is not None and category in FIGURE_PREVIEWS:
        field, crop = FIGURE_PREVIEWS[category]
        gender = gender if gender in choice.genders else choice.genders[0]
        portrait = draw_cover({**PREVIEW_BASE[gender], field: code}, decorations=False)
        img = portrait.crop(crop).resize((PREVIEW_SIZE, PREVIEW_SIZE), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        img.save(out, 'PNG', optimize=True)
        return out.getvalue()
    digest = hashlib.sha256(f'{category}/{code}'.encode()).digest()
    base: Colour = (64 + digest[0] % 150, 64 + digest[1] % 150, 64 + digest[2] % 150)
    img = _gradient(shade(base, -0.25), shade(base, 0.25), (PREVIEW_SIZE, PREVIEW_SIZE))
    draw = ImageDraw.Draw(img, 'RGBA')
    if choice is not None and choice.colour:
        colour = hex_colour(choice.colour)
        draw.rounded_rectangle((14, 14, PREVIEW_SIZE - 14, PREVIEW_SIZE - 14), radius=18, fill=colour,
                               outline=(255, 255, 255), width=3)
        if category == 'HairColor':  # a few strands, so it reads as hair rather than paint
            for i in range(5):
                x = 30 + i * 17
                draw.arc((x - 30, 20, x + 30, 120), 250, 290, fill=shade(colour, -0.35), width=3)
    else:
        label = choice.label('en') if choice else code
        initials = ''.join(word[0] for word in label.replace('-', ' ').replace('_', ' ').split()[:2]).upper()
        draw.ellipse((16, 16, PREVIEW_SIZE - 16, PREVIEW_SIZE - 16), fill=(255, 255, 255, 60))
        draw.text((PREVIEW_SIZE // 2, PREVIEW_SIZE // 2), initials or '?', font=_font(44), fill=(255, 255, 255),
                  anchor='mm')
    out = io.BytesIO()
    img.save(out, 'PNG', optimize=True)
    return out.getvalue()
