"""Product pictures for the synthetic store, drawn as small SVG files with no network access.

One picture per leaf category and colour variant (not per product), so a catalogue of 300,000
products still needs only a few hundred files. The local store serves them at `/images/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import escape

VARIANTS = 4  # colour variants per category
_VARIANT_SHIFTS = ((0, 46), (18, 40), (-18, 52), (36, 34))  # (hue shift, lightness %) per variant


def slug(text: str) -> str:
    """`Men's Shoes` -> `mens-shoes`: safe in file names and URLs."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower().replace("'", "")).strip("-")


def image_file_name(category: str, variant: int) -> str:
    return f"{slug(category)}-{variant % VARIANTS + 1}.svg"


def render_svg(category: str, department: str, hue: int, variant: int) -> str:
    """A 300x300 tile: a package pictogram on a coloured background, labelled with the category."""
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
  <g fill="none" stroke="#fff" stroke-width="8" stroke-linejoin="round" opacity="0.9">
    <path d="M150 62 L222 98 L222 178 L150 214 L78 178 L78 98 Z"/>
    <path d="M78 98 L150 134 L222 98 M150 134 L150 214"/>
  </g>
  <text x="150" y="258" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" \
font-size="{font_size}" font-weight="bold" fill="#fff">{label}</text>
  <text x="150" y="38" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" \
font-size="14" fill="#fff" opacity="0.85">{caption}</text>
</svg>
"""


def write_category_images(folder: Path, categories: list[tuple[str, str, int]]) -> list[str]:
    """Write every variant for each (category, department, hue); returns the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for category, department, hue in categories:
        for variant in range(VARIANTS):
            name = image_file_name(category, variant)
            (folder / name).write_text(render_svg(category, department, hue, variant), encoding="utf-8")
            names.append(name)
    return names
