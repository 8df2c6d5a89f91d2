"""A growth indicator's base year comes from the store wherever the store is read, not only on the screen:
`evaluate --db`, the month's `report`, and the review's draft read the unit's base-year figures too
(tests/fixture_kinds/114/丁處.toml: indicator 10 compares 114's 觀光人次 with 113's, from the store).

Hand-computed: 113 January–March 100 + 100 + 100 = 300; 114 January–March 100 + 110 + 120 = 330;
(330 − 300) ÷ 300 × 100 = 10 %, target 5 %: met."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd

from metrics import cli
from metrics.evaluation.figures import empty_tidy_frame
from metrics.store import Store
from test_kinds_plans import KINDS_PLANS

ROWS = [(113, 1, "丁處", "visitors", 100), (113, 2, "丁處", "visitors", 100), (113, 3, "丁處", "visitors", 100),
        (114, 1, "丁處", "visitors", 100), (114, 2, "丁處", "visitors", 110), (114, 3, "丁處", "visitors", 120)]


def stored(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    frame = pd.DataFrame([{"year": y, "month": m, "unit": u, "field": f, "value": Decimal(v), "source_file": "x.csv",
                           "source_sheet": "", "source_cell": f"E{index + 2}"}
                          for index, (y, m, u, f, v) in enumerate(ROWS)], columns=list(empty_tidy_frame().columns))
    Store(url).ingest(frame, file_name="x.csv", file_bytes=b"x")
    return url


def test_evaluate_from_the_store_reads_the_base_year(tmp_path, capsys):
    url = stored(tmp_path)
    assert cli.main(["--plans", str(KINDS_PLANS), "evaluate", "--db", url, "--year", "114", "--unit", "丁處",
                     "--as-of", "3", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    growth = next(item for item in document["indicators"] if item["id"] == "10")
    assert (growth["actual"], growth["status"]) == (10, "met"), growth


def test_the_months_report_from_the_store_reads_the_base_year(tmp_path, capsys):
    from openpyxl import load_workbook

    url = stored(tmp_path)
    output = tmp_path / "報表.xlsx"
    assert cli.main(["--plans", str(KINDS_PLANS), "report", "--db", url, "--year", "114", "--unit", "丁處",
                     "--as-of", "3", "-o", str(output)]) == 0
    rows = [row for row in load_workbook(output).active.iter_rows(values_only=True) if row[1] == "10 觀光人次成長率"]
    assert [row[3:8] for row in rows] == [(5, 10, 1, "達標", 0)]


def test_the_reviews_draft_reads_the_base_year(tmp_path):
    from argon2 import PasswordHasher

    from catalogues import FIXTURE_PLANS
    from metrics.plans.catalogue import load_catalogue
    from metrics.plans.cycle import load_cycle
    from metrics.services.seeding import seed_store
    from metrics.services import Services
    from metrics.plans.roles import load_roles
    from metrics.services.review import Review

    url = stored(tmp_path)
    files, roles = load_catalogue(KINDS_PLANS), load_roles(FIXTURE_PLANS)
    with Store(url) as store:
        seed_store(store, files)
        review = Review(Services(store, roles, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)),
                        load_cycle(FIXTURE_PLANS, roles), files)
        draft = review.draft(114, "丁處", "q1")
    growth = next(item for item in draft.items if item.indicator_id == "10")
    assert (growth.result, growth.light) == ("10%", "綠"), growth
