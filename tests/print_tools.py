"""Looking at PDFs as a person would: rasterised by pdftoppm, QR codes read by zbarimg."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

TOOLS = ("pdftoppm", "pdftotext", "pdffonts", "zbarimg")
DPI = 300
MM = DPI / 25.4  # pixels per millimetre


def require_tools() -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {missing} (Debian: poppler-utils, zbar-tools)")
        pytest.skip(f"print checks not run: {missing} missing (make system-deps)")


def rasterise(pdf: Path, out_dir: Path) -> list[Path]:
    """Every page as a 300 dpi greyscale PNG, in page order."""
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", pdf, out_dir / "page"],
                   check=True)
    return sorted(out_dir.glob("page-*.png"))


def decode(pages: list[Path]) -> list[str]:
    """The text of every QR code zbarimg finds on the pages."""
    found = []
    for page in pages:
        result = subprocess.run(["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", page],
                                capture_output=True, text=True)
        found.extend(line for line in result.stdout.splitlines() if line)
    return found


def pdf_text(pdf: Path) -> str:
    """The PDF's text in reading order, with runs of white space (line wraps) made one space."""
    text = subprocess.run(["pdftotext", pdf, "-"], check=True, capture_output=True,
                          text=True).stdout
    return " ".join(text.split())


def pdf_fonts(pdf: Path) -> list[str]:
    lines = subprocess.run(["pdffonts", pdf], check=True, capture_output=True,
                           text=True).stdout.splitlines()[2:]
    return [line.split()[0] for line in lines]


def dark_box(page: Path, left: float, top: float, width: float, height: float):
    """Bounding box in mm (left, top, right, bottom) of the ink inside a box given in mm."""
    with Image.open(page) as img:
        crop = img.convert("L").crop((round(left * MM), round(top * MM),
                                      round((left + width) * MM), round((top + height) * MM)))
        box = crop.point(lambda v: 255 if v < 128 else 0).getbbox()
    if box is None:
        return None
    return (left + box[0] / MM, top + box[1] / MM, left + box[2] / MM, top + box[3] / MM)
