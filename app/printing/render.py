"""Sticker sheets: which stickers, which layout, which print run; printables/ does the rest."""

import io
import multiprocessing
import secrets
import tomllib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from urllib.parse import urlsplit

from pypdf import PdfReader, PdfWriter

from app.domain.codes import ALPHABET
from app.domain.org import province_of, survey_url
from app.models import Counter
from app.pdf import PRINTABLES_DIR, html_to_pdf, render_html
from app.qr import qr_svg, qr_svgs

# Below this many sheets per process, starting processes costs more than it saves.
MIN_SHEETS_PER_PROCESS = 8


@dataclass(frozen=True)
class Layout:
    name: str
    title: str
    title_en: str
    template: str
    per_page: int
    faces: int
    arrangement: str
    address_pt: float  # the typed address's type size
    address_mm: float  # and the width of the line it must fit on


@dataclass(frozen=True)
class Sticker:
    """What one sticker shows."""

    province_name: str
    unit_name: str
    counter_name: str
    operator: str | None
    code: str
    url: str
    short_url: str
    qr_svg: str

    @property
    def host(self) -> str:
        """The address's host (what stays the same on every sticker), and its path."""
        return self.short_url.split("/", 1)[0]

    @property
    def path(self) -> str:
        return "/" + self.short_url.split("/", 1)[1]


@dataclass(frozen=True)
class PrintRun:
    """Printed on every sticker and sheet, so a unit can tell which run a sticker came from."""

    id: str
    date: str

    @classmethod
    def new(cls, today: date) -> "PrintRun":
        return cls(id="".join(secrets.choice(ALPHABET) for _ in range(6)),
                   date=today.strftime("%d/%m/%Y"))


@cache
def layouts() -> dict[str, Layout]:
    """The layouts described in printables/stickers/layouts.toml, by name."""
    with (PRINTABLES_DIR / "stickers" / "layouts.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return {name: Layout(name=name, **spec) for name, spec in data.items()}


@dataclass(frozen=True)
class AddressFit:
    """How the typed address sits on a layout: on one line (the host in smaller type if it
    must), or, for a host too long for that, the host on a line of its own above the path."""

    one_line: bool
    host_pt: float


_PT_PER_MM = 72 / 25.4
_MARGIN = 0.96  # room for the renderer's rounding and kerning


@cache
def _advances() -> dict[str, float]:
    """Each character's advance in the bundled regular font, in em."""
    from fontTools.ttLib import TTFont  # WeasyPrint's own dependency; read once

    font = TTFont(PRINTABLES_DIR / "fonts" / "BeVietnamPro-Regular.ttf", lazy=True)
    em, metrics, cmap = font["head"].unitsPerEm, font["hmtx"].metrics, font.getBestCmap()
    return {chr(c): metrics[glyph][0] / em for c, glyph in cmap.items() if c < 0x250}


@cache
def _width_em(text: str) -> float:
    advances = _advances()
    return sum(advances.get(c, advances["W"]) for c in text)


def address_fit(host: str, path: str, layout: Layout) -> AddressFit:
    """Fit `host` + `path` on the layout's address line: as it is; else with the host smaller,
    down to 70 % of the address's size; else the host alone on the line above, as large as
    fits (the QR code is what people use; the address typed out is for the few who cannot
    scan)."""
    room = layout.address_mm * _PT_PER_MM * _MARGIN  # in points
    size = layout.address_pt
    host_em, path_em = _width_em(host), sum(_advances().get(c, 1) for c in path)
    if (host_em + path_em) * size <= room:
        return AddressFit(one_line=True, host_pt=size)
    smaller = (room - path_em * size) / host_em
    if smaller >= 0.7 * size:
        return AddressFit(one_line=True, host_pt=round(smaller, 2))
    return AddressFit(one_line=False, host_pt=round(min(size, room / host_em), 2))


@dataclass(frozen=True)
class PrintResult:
    pdf: bytes
    run: PrintRun
    stickers: int
    sheets: int


def print_stickers(counters: list[Counter], layout: Layout, *, today: date,
                   workers: int = 1) -> PrintResult:
    """One print run: the counters' stickers in `layout`, as a PDF."""
    run = PrintRun.new(today)
    pdf = render_sheets(make_stickers(counters), layout, run, workers=workers)
    return PrintResult(pdf=pdf, run=run, stickers=len(counters),
                       sheets=-(-len(counters) // layout.per_page))


def make_stickers(counters: list[Counter], svgs: dict[str, str] | None = None) -> list[Sticker]:
    """What each counter's sticker shows; the QR encodes the survey URL and nothing else.

    `svgs`: the QR codes to use (a print job's, encoded later where missing: `with_qr_codes`);
    by default each is read, or encoded and kept."""
    stickers = []
    if svgs is None:
        svgs = qr_svgs([survey_url(c.code) for c in counters])  # encoded when issued, mostly
    for counter in counters:
        url = survey_url(counter.code)
        parts = urlsplit(url)
        stickers.append(Sticker(
            province_name=province_of(counter.unit).name, unit_name=counter.unit.name,
            counter_name=counter.name, operator=counter.operator, code=counter.code, url=url,
            short_url=parts.netloc + parts.path, qr_svg=svgs.get(url, ""),
        ))
    return stickers


def with_qr_codes(stickers: list[Sticker]) -> tuple[list[Sticker], dict[str, str]]:
    """The stickers with the QR codes they lack encoded, and those new codes by URL."""
    new = {s.url: qr_svg(s.url) for s in stickers if not s.qr_svg}
    return [replace(s, qr_svg=new[s.url]) if not s.qr_svg else s for s in stickers], new


def render_sheets(stickers: list[Sticker], layout: Layout, run: PrintRun,
                  workers: int = 1) -> bytes:
    """The PDF of all sheets, laid out by up to `workers` processes for large print runs.

    WeasyPrint lays out ~8 pages a second on one core; big runs are cut into one contiguous
    part per worker and the parts' PDFs joined in order.
    """
    per_page = layout.per_page
    sheets = [stickers[i:i + per_page] for i in range(0, len(stickers), per_page)]
    parts = min(workers, len(sheets) // MIN_SHEETS_PER_PROCESS) or 1
    size = -(-len(sheets) // parts)  # ceiling division

    def address(sticker: Sticker) -> AddressFit:
        return address_fit(sticker.host, sticker.path, layout)

    htmls = [
        render_html(f"stickers/{layout.template}", sheets=sheets[i:i + size], layout=layout,
                    run=run, first_sheet=i + 1, total_sheets=len(sheets), address_of=address)
        for i in range(0, len(sheets), size)
    ]
    if len(htmls) == 1:
        return html_to_pdf(htmls[0])
    # forkserver: the children inherit no database connections or threads from a web worker.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=len(htmls), mp_context=context) as pool:
        pdfs = list(pool.map(html_to_pdf, htmls))
    return join_pdfs(pdfs)


def join_pdfs(pdfs: list[bytes]) -> bytes:
    """One PDF of the given PDFs' pages, in order."""
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
