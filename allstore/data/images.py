"""Product pictures for the synthetic store, drawn as small SVG files with no network access.

One picture per leaf category and colour variant (not per product), so a catalogue of 300,000
products still needs only a few hundred files. The local store serves them at `/images/`. Each
category has its own pictogram — a Lucide icon (npm `lucide-static`, ISC licence, the icons used
kept in icons/lucide.json with icons/LICENSE) — so a tent looks like a tent, not a parcel.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

VARIANTS = 4  # colour variants per category
_VARIANT_SHIFTS = ((0, 46), (18, 40), (-18, 52), (36, 34))  # (hue shift, lightness %) per variant
ICONS_FILE = Path(__file__).with_name("icons") / "lucide.json"
# A parcel, for a category without an icon (drawn on the 300 px tile directly).
PARCEL = (
    '<g fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round" opacity="0.9">'
    '<path d="M150 62 L222 98 L222 178 L150 214 L78 178 L78 98 Z"/>'
    '<path d="M78 98 L150 134 L222 98 M150 134 L150 214"/></g>'
)


@cache
def _icons() -> dict[str, str]:
    return json.loads(ICONS_FILE.read_text(encoding="utf-8"))["icons"]


def pictogram(icon: str | None) -> str:
    """The Lucide icon `icon` (a 24-unit stroke drawing) scaled to the tile's centre, or the parcel."""
    body = _icons().get(icon or "")
    if body is None:
        return PARCEL
    return (
        '<g transform="translate(78 66) scale(6)" fill="none" stroke="#fff" stroke-width="1.5" '
        f'stroke-linecap="round" stroke-linejoin="round" opacity="0.92">{body}</g>'
    )


def slug(text: str) -> str:
    """`Men's Shoes` -> `mens-shoes`: safe in file names and URLs."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def image_file_name(category: str, variant: int) -> str:
    return f"{slug(category)}-{variant % VARIANTS + 1}.svg"


def render_svg(category: str, department: str, hue: int, variant: int, icon: str | None = None) -> str:
    """A 300x300 tile: the category's pictogram on a coloured background, labelled with the category."""
    shift, lightness = _VARIANT_SHIFTS[variant % VARIANTS]
    base = (hue + shift) % 360
    top, bottom = f"hsl({base},55%,{lightness + 14}%)", f"hsl({base},60%,{lightness}%)"
    label, caption = escape(category), escape(department)
    # Long category names get a smaller font so they fit the 260 px text area.
    font_size = 26 if len(category) <= 16 else max(16, int(26 * 16 / len(category)))
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300" \
role="img" aria-label="{label}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>
  </linearGradient></defs>
  <rect width="300" height="300" rx="24" fill="url(#g)"/>
  {pictogram(icon)}
  <text x="150" y="258" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" \
font-size="{font_size}" font-weight="bold" fill="#fff">{label}</text>
  <text x="150" y="38" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" \
font-size="14" fill="#fff" opacity="0.85">{caption}</text>
</svg>
"""


def write_category_images(folder: Path, categories: list[tuple[str, str, int, str | None]]) -> list[str]:
    """Write every variant for each (category, department, hue, icon); returns the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for category, department, hue, icon in categories:
        for variant in range(VARIANTS):
            name = image_file_name(category, variant)
            svg = render_svg(category, department, hue, variant, icon)
            (folder / name).write_text(svg, encoding="utf-8")
            names.append(name)
    return names
