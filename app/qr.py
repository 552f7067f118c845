"""QR codes as inline SVG: one <path> of filled runs, so WeasyPrint draws crisp vectors fast.

Encoded by the `qrcode` package (error correction M). Its pure-Python mask search costs about
3.5 ms a code, a fifth of a 1,000-sticker print if paid there; but a counter's QR code depends
only on its URL, so each URL is encoded once, when its code is issued (app/domain/org.py), and
kept in `qr_code`. A print run reads them all in one query and encodes only what is missing
(e.g. after PUBLIC_BASE_URL changed).
"""

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from sqlalchemy import select

from app.db_setup import insert_for
from app.extensions import db
from app.models import QrCode

QUIET_ZONE = 4  # modules of white around the code, as the QR standard requires


def qr_matrix(data: str) -> list[list[bool]]:
    """The modules of `data`'s QR code (True: dark), without the quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(data)
    code.make(fit=True)
    return code.get_matrix()


def _runs(row: list[bool]):
    """(start, end) of each run of dark modules in a row."""
    start = None
    for i, dark in enumerate([*row, False]):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i
            start = None


def qr_svg(data: str) -> str:
    """An SVG QR code of `data` with its quiet zone, scaled to fill its container."""
    matrix = qr_matrix(data)
    # Each row's dark runs as strokes one module thick along the row's middle line, with
    # relative moves: a path half as long as filled rectangles, and WeasyPrint parses it in Python.
    parts = []
    for y, row in enumerate(matrix):
        x = None
        for start, end in _runs(row):
            parts.append(f"M{start + QUIET_ZONE} {y + QUIET_ZONE}.5" if x is None
                         else f"m{start - x} 0")
            parts.append(f"h{end - start}")
            x = end
    side = len(matrix) + 2 * QUIET_ZONE
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}">'
            f'<path stroke="#000" d="{"".join(parts)}"/></svg>')


def remember(url: str) -> None:
    """Encode a newly issued URL now (in the caller's transaction), so no print pays for it."""
    qr_svgs([url])


def qr_svgs(urls: list[str]) -> dict[str, str]:
    """The SVG of each URL: those already encoded in one query, the rest encoded and kept
    (no commit: the caller's transaction, or a print's session, stores them)."""
    known = stored_svgs(urls)
    missing = {url: qr_svg(url) for url in dict.fromkeys(urls) if url not in known}
    keep(missing)
    return known | missing


def stored_svgs(urls: list[str]) -> dict[str, str]:
    """The SVGs already encoded of these URLs, in one query."""
    return dict(db.session.execute(select(QrCode.url, QrCode.svg).where(
        QrCode.url.in_(set(urls)))).all()) if urls else {}


def keep(svgs: dict[str, str]) -> None:
    """Store SVGs encoded elsewhere (a print job's layout process), once per URL."""
    if svgs:
        db.session.execute(insert_for(db.engine.dialect.name)(QrCode).on_conflict_do_nothing(),
                           [{"url": url, "svg": svg} for url, svg in svgs.items()])
