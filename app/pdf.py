"""The one way khaosat makes a PDF: a Jinja template in printables/, rendered by WeasyPrint.

Nothing is fetched from outside printables/: no network, no other file on the machine.
"""

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

PRINTABLES_DIR = Path(__file__).resolve().parent.parent / "printables"

_env = Environment(
    loader=FileSystemLoader(PRINTABLES_DIR),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class OutsideFetchRefused(ValueError):
    """A print layout asked for something outside printables/."""


def printable_path(url: str) -> Path:
    """The file under printables/ that `url` names; refuses any other URL."""
    if not url.startswith("file://"):
        raise OutsideFetchRefused(f"print layouts may not fetch {url!r}")
    path = Path(url.removeprefix("file://")).resolve()
    if not path.is_relative_to(PRINTABLES_DIR) or not path.is_file():
        raise OutsideFetchRefused(f"print layouts may only use files in printables/: {url!r}")
    return path


@cache
def _fetcher():
    """A WeasyPrint fetcher over printables/; a refused or missing resource stops the render
    (WeasyPrint would otherwise quietly print with a substitute font)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PrintablesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return URLFetcherResponse(url, body=printable_path(url).read_bytes())

    return PrintablesFetcher(fail_on_errors=True)


def render_html(template: str, **context) -> str:
    """Render a printables/ template to HTML."""
    return _env.get_template(template).render(**context)


def html_to_pdf(html: str, folder: str = "stickers") -> bytes:
    """Lay out and write one HTML document of printables/<folder>/ as PDF."""
    from weasyprint import HTML  # imported here: loading Pango costs ~1 s at app start

    document = HTML(string=html, base_url=str(PRINTABLES_DIR / folder) + "/",
                    url_fetcher=_fetcher())
    return document.write_pdf()
