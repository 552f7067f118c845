"""Weekly trend charts as SVG drawn on the server by pygal: the same markup shows on the page
without JavaScript and inside the PDF report. Every chart's data is also a table (the page
and the PDF print it under the charts), which is its text alternative.

pygal was chosen over leather (2,4 ms and 3 KB a chart, but no legend, gaps or value labels)
and matplotlib (tens of MB, seconds to import): 7 ms and about 20 KB a chart, gaps for hidden
weeks, made by the authors of WeasyPrint.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import pygal
from flask_babel import gettext as _
from markupsafe import Markup, escape
from pygal.style import Style

from app import figures
from app.reports.details import Week

STYLE = Style(
    font_family='"Be Vietnam Pro", system-ui, sans-serif',
    background="#ffffff", plot_background="#ffffff", foreground="#1a1a1a",
    foreground_strong="#1a1a1a", foreground_subtle="#6b7178",
    colors=("#0b5cad", "#8a4b00", "#0a6b2d"), label_font_size=11, major_label_font_size=11,
    legend_font_size=12, value_font_size=10, title_font_size=14,
)


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: Markup


def _chart(kind, labels: list[str], **options) -> pygal.Graph:
    chart = kind(js=[], disable_xml_declaration=True, width=720, height=300, style=STYLE,
                 show_legend=True, legend_at_bottom=True, x_label_rotation=0,
                 truncate_label=-1, margin=12, spacing=8, **options)
    chart.x_labels = labels
    return chart


def _svg(chart: pygal.Graph, chart_id: str, title: str) -> Chart:
    svg = chart.render(is_unicode=True)
    # An image with a name for screen readers; its data is the table printed with it.
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)
    return Chart(id=chart_id, title=title, svg=Markup(svg))  # noqa: S704  (pygal escapes)


def trend_charts(weeks: list[Week], target: Decimal, locale: str) -> list[Chart]:
    """Responses and eligible returns, response rate against target, satisfaction; by week."""
    if not weeks:
        return []
    points = tuple((w.label.split("-")[1],  # "W47": the year is in the table
                    w.row.counts.eligible, w.row.counts.matched, _float(w.row.rate.value),
                    _float(w.row.satisfaction)) for w in weeks)
    return list(_draw(points, float(target), locale))


# The same figures draw the same charts: pygal takes ~25 ms a chart, and a dashboard is opened
# again and again over a week whose figures do not change.
@lru_cache(maxsize=256)
def _draw(points: tuple, target: float, locale: str) -> tuple[Chart, ...]:
    labels = [p[0] for p in points]
    count = lambda n: figures.format_count(int(n), locale)  # noqa: E731
    pct = lambda v: figures.format_percent(Decimal(str(v)), locale, "")  # noqa: E731

    title = _("Phiếu và hồ sơ thuộc diện khảo sát theo tuần")
    volume = _chart(pygal.Bar, labels, value_formatter=count)
    volume.add(_("Hồ sơ thuộc diện khảo sát"), [p[1] for p in points])
    volume.add(_("Phiếu trả lời"), [p[2] for p in points])
    charts = [_svg(volume, "chart-volume", title)]

    title = _("Tỷ lệ phản hồi theo tuần, so với chỉ tiêu")
    rate = _chart(pygal.Line, labels, value_formatter=pct, range=(0, 100),
                  allow_interruptions=True)
    rate.add(_("Tỷ lệ phản hồi"), [p[3] for p in points], stroke_style={"width": 3})
    rate.add(_("Chỉ tiêu"), [target] * len(points), show_dots=False,
             stroke_style={"dasharray": "6, 4"})
    charts.append(_svg(rate, "chart-rate", title))

    if any(p[4] is not None for p in points):
        title = _("Tỷ lệ hài lòng theo tuần")
        mood = _chart(pygal.Line, labels, value_formatter=pct, range=(0, 100),
                      allow_interruptions=True)
        mood.add(_("Tỷ lệ hài lòng"), [p[4] for p in points], stroke_style={"width": 3})
        charts.append(_svg(mood, "chart-satisfaction", title))
    return tuple(charts)


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
