"""Weekly trend charts as SVG drawn on the server by pygal: the same markup shows on the page
without JavaScript and inside the PDF report. Every chart's data is also a table (the page
and the PDF print it under the charts), which is its text alternative.

Each chart is drawn for the width it is read at, so its text stays ≥ 12 px: wide (a desktop's
full width), narrow (a phone's 360 px, fewer week labels) and print (the PDF's A4 column); the
page shows the wide or the narrow one by CSS alone. The target is a solid red line named with
its value; weeks are labelled by their first day in the page's language.

pygal was chosen over leather (2,4 ms and 3 KB a chart, but no legend, gaps or value labels)
and matplotlib (tens of MB, seconds to import): 7 ms and about 20 KB a chart, gaps for hidden
weeks, made by the authors of WeasyPrint.
"""

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import pygal
from babel.dates import format_date
from flask_babel import gettext as _
from markupsafe import Markup, escape
from pygal.style import Style

from app import figures
from app.reports.details import Week

BLUE, RED, GREY, GREEN = "#0b5cad", "#c0151f", "#8a939c", "#0a6b2d"
# Sizes in the SVG's own units; each is drawn for the width it is shown at (px per unit ≈ 1).
SIZES = {"wide": (1200, 380, 15), "narrow": (360, 320, 13), "print": (720, 300, 12)}
NARROW_LABELS = 5  # at most this many week labels on a phone


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: Markup  # wide (the page on a desktop) or print (the PDF)
    narrow: Markup | None = None  # the page on a phone


def _style(colors: tuple[str, ...], font: int) -> Style:
    return Style(font_family='"Be Vietnam Pro", system-ui, sans-serif', background="#ffffff",
                 plot_background="#ffffff", foreground="#1a1a1a", foreground_strong="#1a1a1a",
                 foreground_subtle="#6b7178", colors=colors, label_font_size=font,
                 major_label_font_size=font, legend_font_size=font, value_font_size=font,
                 title_font_size=font + 2, tooltip_font_size=font)


def _chart(kind, labels: list[str], size: str, colors: tuple[str, ...],
           **options) -> pygal.Graph:
    width, height, font = SIZES[size]
    chart = kind(js=[], disable_xml_declaration=True, width=width, height=height,
                 style=_style(colors, font), show_legend=True, legend_at_bottom=True,
                 legend_at_bottom_columns=1 if size == "narrow" else None,
                 x_label_rotation=0, truncate_label=-1, truncate_legend=-1, margin=12,
                 spacing=8, **options)
    chart.x_labels = labels
    if size == "narrow" and len(labels) > NARROW_LABELS:
        chart.x_labels_major_every = math.ceil(len(labels) / NARROW_LABELS)
        chart.show_minor_x_labels = False
    return chart


def _svg(chart: pygal.Graph, title: str, widths: tuple[int, ...] = ()) -> Markup:
    """The chart's SVG, named `title`; `widths`: each series' line width in px (pygal's own
    stroke_style is not written into the SVG when it is rendered without its scripts)."""
    svg = chart.render(is_unicode=True)
    if widths:
        chart_id = re.search(r'id="(chart-[0-9a-f-]+)"', svg).group(1)
        rules = "".join(f"#{chart_id} .serie-{i} .line{{stroke-width:{w}px}}"
                        for i, w in enumerate(widths))
        svg = svg.replace("</defs>", f'<style type="text/css">{rules}</style></defs>', 1)
    # An image with a name for screen readers (not pygal's "Pygal"); its data is the table
    # printed with it.
    svg = svg.replace("<title>Pygal</title>", f"<title>{escape(title)}</title>", 1)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return Markup(svg)  # noqa: S704  (pygal escapes)


def week_label(week: Week, locale: str) -> str:
    """A week as its first day reads in the page's language: "23/11", "23 Nov"."""
    return format_date(week.start, "dd/MM" if locale == "vi" else "d MMM", locale=locale)


def trend_charts(weeks: list[Week], target: Decimal, locale: str, *,
                 for_print: bool = False) -> list[Chart]:
    """Responses and eligible returns, response rate against target, satisfaction; by week.
    For the page: a wide and a narrow drawing of each; for the PDF: the print one."""
    if not weeks:
        return []
    points = tuple((week_label(w, locale), w.row.counts.eligible, w.row.counts.matched,
                    _float(w.row.rate.value), _float(w.row.satisfaction)) for w in weeks)
    if for_print:
        return list(_draw(points, float(target), locale, "print"))
    wide = _draw(points, float(target), locale, "wide")
    narrow = _draw(points, float(target), locale, "narrow")
    return [Chart(id=w.id, title=w.title, svg=w.svg, narrow=n.svg)
            for w, n in zip(wide, narrow, strict=True)]


# The same figures draw the same charts: pygal takes ~25 ms a chart, and a dashboard is opened
# again and again over a week whose figures do not change.
@lru_cache(maxsize=256)
def _draw(points: tuple, target: float, locale: str, size: str) -> tuple[Chart, ...]:
    labels = [p[0] for p in points]
    count = lambda n: figures.format_count(int(n), locale)  # noqa: E731
    pct = lambda v: figures.format_percent(Decimal(str(v)), locale, "")  # noqa: E731
    x_title = _("Tuần, theo ngày đầu tuần")

    title = _("Số hồ sơ thuộc diện khảo sát và số phiếu trả lời mỗi tuần")
    volume = _chart(pygal.Bar, labels, size, (GREY, BLUE), value_formatter=count,
                    x_title=x_title, y_title=_("Số hồ sơ, số phiếu"))
    volume.add(_("Hồ sơ thuộc diện khảo sát"), [p[1] for p in points])
    volume.add(_("Phiếu trả lời"), [p[2] for p in points])
    charts = [Chart("chart-volume", title, _svg(volume, title))]

    title = _("Tỷ lệ phản hồi mỗi tuần so với chỉ tiêu %(target)s", target=pct(target))
    rate = _chart(pygal.Line, labels, size, (BLUE, RED), value_formatter=pct, range=(0, 100),
                  allow_interruptions=True, x_title=x_title, y_title=_("Tỷ lệ phản hồi (%)"))
    rate.add(_("Tỷ lệ phản hồi"), [p[3] for p in points])
    rate.add(_("Chỉ tiêu %(target)s", target=pct(target)), [target] * len(points),
             show_dots=False)
    charts.append(Chart("chart-rate", title, _svg(rate, title, widths=(3, 5))))

    if any(p[4] is not None for p in points):
        title = _("Tỷ lệ hài lòng mỗi tuần (các đợt đủ phiếu công bố trong tuần)")
        mood = _chart(pygal.Line, labels, size, (GREEN,), value_formatter=pct, range=(0, 100),
                      allow_interruptions=True, x_title=x_title,
                      y_title=_("Tỷ lệ hài lòng (%)"))
        mood.add(_("Tỷ lệ hài lòng"), [p[4] for p in points])
        charts.append(Chart("chart-satisfaction", title, _svg(mood, title, widths=(3,))))
    return tuple(charts)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
