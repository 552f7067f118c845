"""The trend charts say what they show: a titled SVG, axis titles, weeks by their dates in the
page's language, the target as a solid, thick, red line named with its value."""

import re
from datetime import date
from decimal import Decimal

import pytest

from app.reports.charts import trend_charts
from app.reports.details import Week
from app.reports.queries import Counts
from app.reports.tables import Row


def weeks() -> list[Week]:
    result = []
    for n, (eligible, responses) in enumerate(((40, 10), (50, 20), (30, 12))):
        start = date(2026, 11, 9 + 7 * n)
        counts = Counts(returned=eligible, responses=responses,
                        overall=[0, 0, 2, 4, responses - 6])
        result.append(Week(label=f"2026-W{46 + n}", start=start, end=start,
                           row=Row(kind="week", id=n, name="", code="", counts=counts,
                                   answers=counts, k=5, target=Decimal("30"))))
    return result


@pytest.mark.parametrize(("locale", "label", "target"), [("vi", "23/11", "Chỉ tiêu 30,00%"),
                                                         ("en", "23 Nov", "Target 30.00%")])
def test_charts_name_what_they_show_in_the_pages_language(app, locale, label, target):
    with app.test_request_context(f"/reports/?lang={locale}"):
        charts = trend_charts(weeks(), Decimal("30"), locale)
        printed = trend_charts(weeks(), Decimal("30"), locale, for_print=True)
    assert [c.id for c in charts] == ["chart-volume", "chart-rate", "chart-satisfaction"]
    for chart in charts:
        for svg in (str(chart.svg), str(chart.narrow)):
            assert "<title>Pygal</title>" not in svg and f"<title>{chart.title}" in svg
            assert label in svg and 'class="title"' in svg  # axis titles
    rate = str(charts[1].svg)
    assert target in rate  # the target line's name in the legend
    assert re.search(r"\.serie-1 \.line\{stroke-width:5px\}", rate)  # thick, solid
    assert "dasharray" not in rate.split("serie-1", 1)[1].split("}", 1)[0]
    assert 'viewBox="0 0 1200' in rate and 'viewBox="0 0 360' in str(charts[1].narrow)
    assert printed[1].narrow is None and 'viewBox="0 0 720' in str(printed[1].svg)
