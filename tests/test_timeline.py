"""The timeline's periods: every one from the first to the last, a quiet one with 0."""

from __future__ import annotations

import json

from llmtrack.timeline import timeline_rows


def test_a_month_without_releases_is_a_row_with_zero():
    dated = [("base_models", "a", "2024-06-01"), ("base_models", "b", "2024-09-10")]
    rows = timeline_rows(dated, ["base_models"], "month")
    assert [(r.record["month"], r.record["count"]) for r in rows] == [
        ("2024-06", 1),
        ("2024-07", 0),
        ("2024-08", 0),
        ("2024-09", 1),
    ]
    assert rows[1].record["ids"] == [] and rows[1].flat["chart"] == ""
    assert rows[0].flat["chart"]  # a release always shows a block


def test_years_fill_across_a_new_year_and_a_year_without_month_keeps_its_place():
    dated = [
        ("projects", "a", "2021"),
        ("projects", "b", "2021-11-02"),
        ("projects", "c", "2022-02"),
    ]
    months = [r.record["month"] for r in timeline_rows(dated, ["projects"], "month")]
    assert months == ["2021-??", "2021-11", "2021-12", "2022-01", "2022-02"]
    years = timeline_rows(
        [("projects", "a", "2019-01"), ("projects", "b", "2022")], ["projects"], "year"
    )
    assert [(r.record["year"], r.record["count"]) for r in years] == [
        ("2019", 1),
        ("2020", 0),
        ("2021", 0),
        ("2022", 1),
    ]


def test_the_bundled_timeline_has_no_gaps(cli):
    rows = json.loads(cli("timeline", "--by", "year", "--format", "json").stdout)
    years = [int(row["year"]) for row in rows]
    assert years == list(range(years[0], years[-1] + 1))
