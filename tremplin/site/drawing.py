"""Raster images drawn with Pillow: the logo (from static/img/logo.svg, whose few shapes —
rect, circle, path of straight lines — are all it uses), app icons and share cards."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from tremplin.platform.config import PROJECT_ROOT

LOGO = PROJECT_ROOT / "static" / "img" / "logo.svg"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
SVG = "{http://www.w3.org/2000/svg}"
PRIMARY = "#0f5d63"
ACCENT = "#f29e4c"


def _path_points(d: str) -> list[tuple[float, float]]:
    """Absolute points of a path made of M/L/H/V (and their relative forms)."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for cmd, args in re.findall(r"([MmLlHhVv])([^MmLlHhVv]*)", d):
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+", args)]
        if cmd in "Hh":
            for n in numbers:
                x = n if cmd == "H" else x + n
                points.append((x, y))
        elif cmd in "Vv":
            for n in numbers:
                y = n if cmd == "V" else y + n
                points.append((x, y))
        else:
            for i in range(0, len(numbers) - 1, 2):
                dx, dy = numbers[i], numbers[i + 1]
                x, y = (dx, dy) if cmd.isupper() else (x + dx, y + dy)
                points.append((x, y))
    return points


def logo_image(size: int, padding: float = 0.0) -> Image.Image:
    """The logo at `size` pixels (drawn 4× larger then reduced: smooth edges).
    `padding` (a fraction) leaves a margin, for maskable icons."""
    root = ET.parse(LOGO).getroot()
    box = float(root.get("viewBox", "0 0 64 64").split()[2])
    big = size * 4
    inner = big * (1 - 2 * padding)
    scale = inner / box
    offset = big * padding
    img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)

    def pt(x: float, y: float) -> tuple[float, float]:
        return (offset + x * scale, offset + y * scale)

    for el in root.iter():
        tag = el.tag.replace(SVG, "")
        if tag == "rect":
            w, h = float(el.get("width")), float(el.get("height"))
            x, y = float(el.get("x", 0)), float(el.get("y", 0))
            radius = float(el.get("rx", 0)) * scale
            if padding:  # maskable: the background fills the whole square
                draw.rectangle((0, 0, big, big), fill=el.get("fill"))
            else:
                draw.rounded_rectangle((*pt(x, y), *pt(x + w, y + h)), radius, fill=el.get("fill"))
        elif tag == "circle":
            cx, cy, r = (float(el.get(k)) for k in ("cx", "cy", "r"))
            draw.ellipse((*pt(cx - r, cy - r), *pt(cx + r, cy + r)), fill=el.get("fill"))
        elif tag == "path":
            points = [pt(*p) for p in _path_points(el.get("d", ""))]
            width = round(float(el.get("stroke-width", 1)) * scale)
            draw.line(points, fill=el.get("stroke"), width=width, joint="curve")
            for px, py in (points[0], points[-1]):  # round caps
                draw.ellipse(
                    (px - width / 2, py - width / 2, px + width / 2, py + width / 2),
                    fill=el.get("stroke"),
                )
    return img.resize((size, size), Image.LANCZOS)


@lru_cache(maxsize=8)
def font(size: int, bold: bool = False) -> ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size)
    return ImageFont.load_default(size=size)


def wrap(draw: ImageDraw.ImageDraw, text: str, face, width: int, max_lines: int) -> list[str]:
    """Words on lines no wider than `width`; the last line ends with … if text remains."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < max_lines:
        line = words.pop(0)
        while words and draw.textlength(line + " " + words[0], font=face) <= width:
            line += " " + words.pop(0)
        lines.append(line)
    if words and lines:
        last = lines[-1]
        while last and draw.textlength(last + "…", font=face) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def share_card(kind_label: str, title: str, line: str, progress: int | None) -> Image.Image:
    """A 1200×630 card: the logo, what it is, the title, a line (date, place, amount) and,
    for a campaign, its progress bar."""
    img = Image.new("RGB", (1200, 630), "#f6f8f7")
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, 1200, 18), fill=PRIMARY)
    img.paste(logo_image(96), (72, 66), logo_image(96))
    draw.text((190, 84), "Tremplin", font=font(40, bold=True), fill=PRIMARY)
    draw.text((190, 132), kind_label.upper(), font=font(26), fill="#3d5557")
    y = 210
    for text in wrap(draw, title, font(64, bold=True), 1056, 3):
        draw.text((72, y), text, font=font(64, bold=True), fill="#10282a")
        y += 78
    if line:
        for text in wrap(draw, line, font(34), 1056, 2):
            draw.text((72, y + 14), text, font=font(34), fill="#3d5557")
            y += 44
    if progress is not None:
        shown = max(0, min(progress, 100))
        draw.rounded_rectangle((72, 520, 1128, 560), 20, fill="#dfe7e6")
        if shown:
            draw.rounded_rectangle(
                (72, 520, 72 + max(40, 1056 * shown // 100), 560), 20, fill=ACCENT
            )
        draw.text((72, 570), f"{progress} %", font=font(30, bold=True), fill="#10282a")
    return img
