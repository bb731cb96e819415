"""Option previews for the body options: a plain, clothed mannequin that shows the part the option is about.

The cover portrait (cover_art) is a head-and-shoulders picture, so a "Butt size" tile cropped from it showed no
butt at all and the "Breast size" tiles differed by a faint line. Here every tile of one category is drawn on the
same figure, the same clothes and the same background, so the one thing that changes from tile to tile is the
thing being chosen:

- BodyType: the whole figure from the front, head to feet (shoulders, waist, hips and arms by build);
- BreastSize: the figure in profile, cropped from chin to hips;
- ButtSize: the figure in profile, cropped from waist to thighs.

A soft light behind the part says where to look. Drawn large and scaled down, so edges are smooth at 128 px.
CPU work: call from a thread (cover_art.draw_preview is called that way).
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

Colour = tuple[int, int, int]
Point = tuple[float, float]

CANVAS = 512  # drawn at this size, then scaled to the tile size
SKIN: Colour = (224, 176, 138)  # the 'mixed' ethnicity's tone, as the other previews use
HAIR: Colour = (107, 68, 35)  # 'brown', as the other previews use
TOP: Colour = (20, 150, 140)  # the clothes: one teal top, dark leggings, the same on every tile
BOTTOM: Colour = (52, 62, 86)
SHOES: Colour = (40, 40, 48)
BACKGROUND: tuple[Colour, Colour] = ((236, 232, 246), (205, 196, 228))
LIGHT_STRENGTH = 150  # of 255: how bright the light behind the chosen part is

# Side view, facing right, in a figure space 1000 units tall from the top of the head (y) with the body's axis at
# x = 0 (front is +x). Key points (y, x) of the front and back outlines; the sized part is added as a bump.
FRONT: tuple[Point, ...] = ((160, 24), (180, 34), (215, 42), (330, 42), (390, 36), (450, 42), (520, 47),
                            (600, 44), (760, 33), (900, 26))
BACK: tuple[Point, ...] = ((160, -22), (190, -40), (250, -46), (320, -42), (400, -34), (470, -40), (540, -44),
                           (640, -40), (760, -31), (900, -24))
# How far the bust and the butt stand out of those outlines, per option code (figure units), and where.
BUST = {'small': 9.0, 'medium': 20.0, 'large': 33.0, 'extra_large': 46.0}
BUST_AT = 268.0
BUTT: dict[str, tuple[float, float, float]] = {  # code -> (how far, centre, spread)
    'small': (6.0, 535.0, 80.0), 'medium': (17.0, 535.0, 84.0), 'large': (30.0, 540.0, 92.0),
    'athletic': (22.0, 515.0, 66.0),  # lifted and round: higher and tighter rather than larger
}
WAIST_LINE = 470.0  # where the top ends and the leggings begin
# The parts of the side figure each category shows: (left, top, right, bottom) in figure units, and the light.
SIDE_CROPS: dict[str, tuple[tuple[float, float, float, float], tuple[float, float, float]]] = {
    'BreastSize': ((-150, 130, 170, 450), (60, 270, 105)),
    'ButtSize': ((-180, 370, 140, 690), (-60, 535, 110)),
}


@dataclass(frozen=True)
class Build:
    """Half-widths of a front view, in figure units, and the arms' thickness; `height` shrinks a petite figure."""

    shoulders: float
    chest: float
    waist: float
    hips: float
    thighs: float
    arm: float
    height: float = 1.0


BUILDS: dict[str, dict[str, Build]] = {
    'female': {
        'slim': Build(64, 56, 42, 60, 58, 12),
        'petite': Build(60, 54, 42, 58, 56, 12, height=0.86),
        'athletic': Build(76, 64, 50, 64, 64, 16),
        'curvy': Build(68, 70, 46, 84, 80, 15),
        'plus_size': Build(82, 88, 82, 98, 94, 22),
    },
    'male': {
        'slim': Build(72, 60, 50, 56, 56, 13),
        'athletic': Build(90, 78, 56, 62, 64, 19),
        'muscular': Build(104, 92, 62, 66, 70, 27),
        'average': Build(82, 74, 66, 66, 64, 17),
        'stocky': Build(94, 92, 90, 86, 82, 24),
    },
}
BODY_CATEGORIES = ('BodyType', 'BreastSize', 'ButtSize')
WIDEN = 1.25


def draws(category: str, code: str, gender: str) -> bool:
    """Whether this module pictures the option (a body option it knows)."""
    if category == 'BodyType':
        return code in BUILDS.get(gender, {})
    return (category == 'BreastSize' and code in BUST) or (category == 'ButtSize' and code in BUTT)


def draw_body_preview(category: str, code: str, gender: str, size: int) -> bytes:
    """The PNG tile for a body option; call only when `draws(...)` is true."""
    img = _background()
    if category == 'BodyType':
        _front_figure(img, gender, BUILDS[gender][code])
    else:
        crop, light = SIDE_CROPS[category]
        bust = BUST['medium'] if category != 'BreastSize' else BUST[code]
        butt = BUTT['medium'] if category != 'ButtSize' else BUTT[code]
        _side_figure(img, crop, light, bust, butt)
    img = img.resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, 'PNG', optimize=True)
    return out.getvalue()


def _background() -> Image.Image:
    top, bottom = BACKGROUND
    ramp = Image.linear_gradient('L').resize((1, CANVAS))
    return Image.composite(Image.new('RGB', (1, CANVAS), bottom), Image.new('RGB', (1, CANVAS), top),
                           ramp).resize((CANVAS, CANVAS))


def _bump(y: float, centre: float, spread: float) -> float:
    """A smooth hump, 1 at `centre`, 0 beyond `spread` on either side."""
    t = (y - centre) / spread
    return math.cos(t * math.pi / 2) ** 2 if abs(t) < 1 else 0.0


def _along(points: Sequence[Point], y: float) -> float:
    """The outline's x at height y, by straight lines between its key points."""
    for (y0, x0), (y1, x1) in itertools.pairwise(points):
        if y0 <= y <= y1:
            return x0 + (x1 - x0) * (y - y0) / (y1 - y0)
    return points[0][1] if y < points[0][0] else points[-1][1]


def _mapper(crop: tuple[float, float, float, float]) -> Callable[[float, float], Point]:
    left, top, right, bottom = crop
    scale = CANVAS / max(right - left, bottom - top)
    return lambda x, y: ((x - left) * scale, (y - top) * scale)


def _light(img: Image.Image, centre: Point, radius: float) -> None:
    """A soft spotlight behind the part being chosen."""
    # White through a blurred mask: blurring an RGBA layer would mix its transparent black into a grey ring.
    mask = Image.new('L', img.size, 0)
    x, y = centre
    ImageDraw.Draw(mask).ellipse((x - radius, y - radius, x + radius, y + radius), fill=LIGHT_STRENGTH)
    img.paste((255, 255, 255), (0, 0, *img.size), mask.filter(ImageFilter.GaussianBlur(radius / 3)))


def _side_figure(img: Image.Image, crop: tuple[float, float, float, float], light: tuple[float, float, float],
                 bust: float, butt: tuple[float, float, float]) -> None:
    at = _mapper(crop)
    scale = CANVAS / max(crop[2] - crop[0], crop[3] - crop[1])
    lx, ly, radius = light
    _light(img, at(lx, ly), radius * scale)

    def front(y: float) -> float:
        # A larger bust is fuller, not only further out: its spread grows with it.
        return _along(FRONT, y) + bust * _bump(y, BUST_AT, 56 + bust * 0.6)

    def back(y: float) -> float:
        far, centre, spread = butt
        return _along(BACK, y) - far * _bump(y, centre, spread)

    def outline(y_from: float, y_to: float) -> list[Point]:
        ys = [y_from + (y_to - y_from) * i / 120 for i in range(121)]
        return [at(front(y), y) for y in ys] + [at(back(y), y) for y in reversed(ys)]

    draw = ImageDraw.Draw(img, 'RGBA')
    # Hair falling behind the neck, the head in profile, the neck.
    draw.rounded_rectangle((*at(-58, 40), *at(-4, 235)), radius=26 * scale, fill=HAIR)
    draw.polygon([at(-16, 120), at(22, 120), at(24, 175), at(-22, 175)], fill=SKIN)
    draw.ellipse((*at(-50, 10), *at(58, 140)), fill=SKIN)
    draw.ellipse((*at(-56, 0), *at(50, 84)), fill=HAIR)
    draw.polygon([at(54, 64), at(68, 92), at(52, 98)], fill=SKIN)  # nose
    draw.ellipse((*at(30, 70), *at(38, 78)), fill=(60, 40, 30))  # eye
    # The body: the top down to the waist line, the leggings below it.
    draw.polygon(outline(168, WAIST_LINE), fill=TOP)
    draw.polygon(outline(WAIST_LINE, 900), fill=BOTTOM)
    seam = shade(TOP, 0.25)
    draw.line([at(back(WAIST_LINE), WAIST_LINE), at(front(WAIST_LINE), WAIST_LINE)], fill=seam,
              width=max(2, round(4 * scale)))
    # The near arm hangs in front of the side of the body: a sleeve, then the forearm and hand.
    width = round(30 * scale)
    draw.line([at(-6, 200), at(-2, 350)], fill=shade(TOP, 0.18), width=width, joint='curve')
    draw.line([at(-2, 350), at(6, 500)], fill=shade(SKIN, 0.08), width=round(24 * scale), joint='curve')
    for x, y, r in ((-6, 200, 15), (-2, 350, 14), (6, 502, 14)):
        cx, cy = at(x, y)
        fill = shade(TOP, 0.18) if y < 300 else shade(SKIN, 0.08)
        draw.ellipse((cx - r * scale, cy - r * scale, cx + r * scale, cy + r * scale), fill=fill)


def _front_figure(img: Image.Image, gender: str, build: Build) -> None:
    # Head to below the knees fills the square better than head to feet, so builds differ visibly at 128 px; widths
    # are drawn a little wider than life (WIDEN) for the same reason. A petite figure stands shorter.
    base = 820.0
    at0 = _mapper((-base / 2, -20, base / 2, base - 20))
    h = build.height
    foot = 980.0

    def at(x: float, y: float) -> Point:
        # Heights are measured from the feet, so a shorter figure stands on the same floor.
        return at0(x * WIDEN * (0.9 + 0.1 * h), foot - (foot - y) * h)

    scale = CANVAS / base * WIDEN
    female = gender == 'female'
    draw = ImageDraw.Draw(img, 'RGBA')
    # Hair behind the head (long for her), arms, legs, the torso, then head and hair on top.
    if female:
        draw.rounded_rectangle((*at(-56, 40), *at(56, 250)), radius=40 * scale, fill=shade(HAIR, 0.1))
    arm_top, arm_bottom = 200.0, 520.0
    for side in (-1, 1):
        x0 = side * (build.shoulders - build.arm * 0.6)
        x1 = side * (build.hips + build.arm * 0.9)
        draw.line([at(x0, arm_top), at(x1 * 0.98, arm_bottom)], fill=shade(SKIN, 0.06),
                  width=max(2, round(2 * build.arm * scale * (0.9 + 0.1 * h))))
        hx, hy = at(x1 * 0.98, arm_bottom + 8)
        r = build.arm * 1.1 * scale
        draw.ellipse((hx - r, hy - r, hx + r, hy + r), fill=shade(SKIN, 0.06))
        # The sleeve over the upper arm.
        draw.line([at(x0, arm_top), at(x0 + (x1 - x0) * 0.35, arm_top + (arm_bottom - arm_top) * 0.35)],
                  fill=shade(TOP, 0.12), width=max(2, round(2.3 * build.arm * scale * (0.9 + 0.1 * h))))
    crotch, ankle = 590.0, 930.0
    for side in (-1, 1):
        outer_top, inner_top = side * build.thighs, side * 6
        leg = [at(outer_top, 500), at(side * (build.thighs * 0.62), 760), at(side * 30, ankle), at(side * 10, ankle),
               at(side * 8, 760), at(inner_top, crotch)]
        draw.polygon(leg, fill=BOTTOM)
        draw.ellipse((*at(side * 36 - 26, ankle - 6), *at(side * 36 + 26, ankle + 34)), fill=SHOES)
    torso_key = ((170, 20), (195, build.shoulders), (260, build.chest), (380, build.waist), (500, build.hips),
                 (crotch, build.thighs * 0.9))
    right = [at(x, y) for y, x in torso_key]
    left = [at(-x, y) for y, x in reversed(torso_key)]
    draw.polygon(right + left, fill=TOP)
    # Leggings from the waist line down to the crotch, over the top's hem.
    hem = 470.0
    hem_x = _along([(y, x) for y, x in torso_key], hem)
    draw.polygon([at(hem_x, hem), at(build.hips, 500), at(build.thighs * 0.9, crotch), at(-build.thighs * 0.9, crotch),
                  at(-build.hips, 500), at(-hem_x, hem)], fill=BOTTOM)
    if female:
        for side in (-1, 1):  # a soft line under the bust, so the front view reads as hers
            cx, cy = at(side * build.chest * 0.42, 300)
            r = build.chest * 0.36 * scale
            draw.arc((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), 30, 150, fill=shade(TOP, 0.3),
                     width=max(1, round(3 * scale)))
    # Neck and head.
    draw.polygon([at(-17, 120), at(17, 120), at(20, 178), at(-20, 178)], fill=SKIN)
    head_w = 46 if female else 50
    draw.ellipse((*at(-head_w, 8), *at(head_w, 140)), fill=SKIN)
    if female:
        draw.chord((*at(-head_w - 6, 0), *at(head_w + 6, 110)), 180, 360, fill=HAIR)
    else:
        draw.chord((*at(-head_w - 3, 2), *at(head_w + 3, 90)), 180, 360, fill=HAIR)
    for side in (-1, 1):
        ex, ey = at(side * 17, 78)
        r = 4 * scale
        draw.ellipse((ex - r, ey - r, ex + r, ey + r), fill=(60, 40, 30))


def shade(colour: Colour, t: float) -> Colour:
    """Darker by t (0..1)."""
    return tuple(round(c * (1 - t)) for c in colour)  # type: ignore[return-value]
