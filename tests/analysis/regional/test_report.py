"""The HTML page and map of the regional analysis: offline, escaped, drawn only where regions have points."""

from __future__ import annotations

import pandas as pd

from clusterwatch.analysis.regional import analyse_regions, regional_table
from clusterwatch.report.regions import html_table, map_svg, regions_html


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"region": list("ABCD") * 2, "industry": ["x"] * 4 + ["<y>"] * 4,
                         "employment": [50, 40, 30, 20, 10, 20, 30, 40], "establishments": [5, 4, 3, 2, 1, 2, 3, 4],
                         "lat": [47.0, 47.1, 47.2, 47.3] * 2, "lon": [-110.0, -110.5, -111.0, -111.5] * 2})


def test_no_points_no_map() -> None:
    analysis = analyse_regions(regional_table(_frame()))
    assert map_svg(analysis) is None
    page = regions_html(analysis)
    assert "<svg" not in page and "&lt;y&gt;" in page and "<y>" not in page  # names are escaped


def test_points_give_circles_inside_the_canvas() -> None:
    analysis = analyse_regions(regional_table(_frame(), lat="lat", lon="lon"))
    svg = map_svg(analysis, width=400, height=300)
    assert svg is not None and svg.count("<circle") == 4
    page = regions_html(analysis, title="Test")
    assert "<title>Test</title>" in page and "<svg" in page


def test_tables_are_capped_with_a_note() -> None:
    text = html_table(pd.DataFrame({"n": range(10)}), max_rows=3)
    assert text.count("<tr>") == 4 and "3 of 10 rows shown" in text
