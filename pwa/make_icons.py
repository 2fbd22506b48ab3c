"""Draws the app icons (run once; the PNGs are committed): `.venv/bin/python pwa/make_icons.py`.

A white house with a heart-shaped door on the theme green. The maskable icon keeps the drawing
inside the central 80 % safe zone on a full-bleed background.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 110, 79)
WHITE = (255, 255, 255)
ICONS = Path(__file__).resolve().parent / "static" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, then downsample for smooth edges
    s = size * scale
    img = Image.new("RGB", (s, s), WHITE if not maskable else GREEN)
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=int(s * 0.22), fill=GREEN)
    inset = 0.22 if maskable else 0.16  # the drawing's margin
    left, right = s * inset, s * (1 - inset)
    top, bottom = s * (inset + 0.02), s * (1 - inset)
    mid = s / 2
    roof_base = top + (bottom - top) * 0.42
    d.polygon([(mid, top), (right, roof_base), (left, roof_base)], fill=WHITE)
    wall = (left + s * 0.08, roof_base - 1, right - s * 0.08, bottom)
    d.rectangle(wall, fill=WHITE)
    # a heart for a door
    r = s * 0.055
    cx, cy = mid, roof_base + (bottom - roof_base) * 0.45
    d.ellipse((cx - 2 * r, cy - r, cx, cy + r), fill=GREEN)
    d.ellipse((cx, cy - r, cx + 2 * r, cy + r), fill=GREEN)
    d.polygon([(cx - 2 * r + 1, cy + r * 0.3), (cx + 2 * r - 1, cy + r * 0.3), (cx, cy + 2.4 * r)], fill=GREEN)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    ICONS.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(ICONS / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(ICONS / "icon-512.png", optimize=True)
    draw(512, maskable=True).save(ICONS / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
