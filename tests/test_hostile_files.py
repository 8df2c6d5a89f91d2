"""The crafted corpus (tests/hostile_corpus.py): every file that would exhaust memory is refused from its
structure, naming the limit; a formula taken from another workbook is never stored from its cached value;
one size limit per kind of file in the app, the command line and README. Time and memory of each refusal
are measured by benchmarks/bench_hostile.py, not asserted here."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

import hostile_corpus as corpus
from catalogues import CATALOGUE, PLAN_112
from metrics.intake import safety
from metrics.errors import InputError
from metrics.intake.exports import read_export
from metrics.intake.monthly import read_upload
from metrics.intake import sheet_xml
from metrics.intake.safety import EXPORT_SHEET_CELLS, TEMPLATE_SHEET_CELLS
from metrics.intake.sources import read_any
from metrics.outputs.template import build_template

ROOT = Path(__file__).resolve().parent.parent
FIELD = PLAN_112.fields[0].code


def refusal(data: bytes, filename: str) -> str:
    with pytest.raises(InputError) as caught:
        read_any(data, filename, CATALOGUE, year=112, unit="政風處")
    return str(caught.value)


@pytest.mark.parametrize("name", list(corpus.REFUSED))
def test_every_crafted_file_is_refused_naming_its_limit(name):
    make, filename, phrase = corpus.REFUSED[name]
    assert phrase in refusal(make(), filename)


def test_the_500_sheet_bomb_is_refused_by_its_sheet_count_whoever_reads_it():
    data = corpus.many_sheets()
    assert len(data) < 200 * 1024
    for read in (lambda: read_upload(data, "炸彈.xlsx", CATALOGUE, year=112, unit="政風處"),
                 lambda: read_export(data, "炸彈.xlsx", PLAN_112, source="document_log")):
        with pytest.raises(InputError, match="活頁簿有 500 個工作表，超過上限 50 個"):
            read()


@pytest.mark.parametrize(("sheets", "refused"), [
    (safety.MAX_SHEETS, False),  # at the limit: read (and found to hold no table)
    (safety.MAX_SHEETS + 1, True),
])
def test_sheet_limit_boundary(sheets, refused):
    data = corpus.workbook([corpus.sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')] * sheets)
    message = refusal(data, "a.xlsx")
    assert (f"活頁簿有 {sheets} 個工作表，超過上限 {safety.MAX_SHEETS} 個" in message) is refused
    if not refused:
        assert "找不到月報表格" in message or "無法辨識檔案內容" in message


@pytest.mark.parametrize(("file_bytes", "ceiling", "expected"), [
    (0, 10_000_000, 2_000_000),  # any file may make the base
    (1_000, 10_000_000, 2_001_000),  # one cell per byte beyond it
    (25 * 1024 * 1024, 30_000_000, 28_214_400),  # a year of 公文清單 as .xlsx: 7.5 million cells needed
    (100 * 1024 * 1024, 30_000_000, 30_000_000),  # never beyond the reader's ceiling
    (5_000_000, 2_000_000, 2_000_000),  # the template reader's ceiling is the base
])
def test_allowed_cells_grow_with_the_file(file_bytes, ceiling, expected):
    assert safety.allowed_cells(file_bytes, ceiling) == expected


@pytest.mark.parametrize(("file_bytes", "expected"), [(0, 200_000), (4, 200_001), (8_000_000, 2_200_000)])
def test_allowed_shared_strings_grow_with_the_file(file_bytes, expected):
    assert safety.allowed_shared_strings(file_bytes) == expected


def test_sheets_under_the_limit_one_by_one_are_refused_together():
    # 60,000 × 26 = 1.56 million cells each, under 2 million; two already exceed it together
    data = corpus.sheets_reaching_together()
    with pytest.raises(InputError) as caught:
        safety.inspect_workbook(data, "合計.xlsx", max_cells=TEMPLATE_SHEET_CELLS)
    assert "合計超過 2,000,000 格（讀到工作表「工作表2」時已有 3,120,000 格）" in str(caught.value)


def test_a_sparse_export_reaching_far_is_refused_before_fastexcel_allocates_it():
    data = corpus.sparse_column("Z999999")  # 26 million cells: under the export ceiling of 30 million
    limit = safety.allowed_cells(len(data), EXPORT_SHEET_CELLS)
    assert 999_999 * 26 < EXPORT_SHEET_CELLS and limit < 999_999 * 26
    from metrics.intake.extract import check_true_extent

    with pytest.raises(InputError, match=f"第 999,999 列、第 26 欄（約 25,999,974 格），超過可讀取的上限 {limit:,} 格"):
        check_true_extent(data, "工作表1", "稀疏.xlsx")


def test_a_dense_real_sheet_within_the_single_letter_columns_is_not_refused():
    from metrics.intake.extract import check_true_extent

    rows = "".join(f'<row r="{row}"><c r="A{row}"><v>{row}</v></c><c r="O{row}"><v>1</v></c></row>'
                   for row in range(1, 3001))
    check_true_extent(corpus.workbook([corpus.sheet_xml(rows)]), "工作表1", "a.xlsx")  # 3,000 × 15: fine


@pytest.mark.parametrize(("fields", "refused"), [(safety.MAX_CSV_FIELDS, False), (safety.MAX_CSV_FIELDS + 1, True)])
def test_csv_field_limit_boundary(fields, refused):
    line = "," * (fields - 1)
    data = f"年度,月份,單位,項目代碼,數值\n{line}\n".encode()
    try:
        safety.check_csv_lines(data, "a.csv")
        safety.check_csv_lines(data.decode(), "a.csv")
    except InputError as error:
        assert refused
        assert f"第 2 列有 {fields} 個欄位，超過上限 500 個" in str(error)
    else:
        assert not refused


def test_csv_lines_ended_by_carriage_returns_alone_are_counted_line_by_line():
    data = ("a,b\r" + "1,2\r" * 400 + "," * 600 + "\r").encode()
    with pytest.raises(InputError, match="第 402 列有 601 個欄位"):
        safety.check_csv_lines(data, "a.csv")


def test_a_document_log_with_a_row_of_millions_of_fields_is_refused_by_the_export_reader_too():
    with pytest.raises(InputError, match="第 2 列有 3,000,000 個欄位，超過上限 500 個"):
        read_export(corpus.document_log_wide_row(), "公文清單.csv", PLAN_112, source="document_log")


def test_a_long_table_of_many_rows_is_read_not_refused():
    sample = read_upload((ROOT / "sample_data" / "112-full-year.csv").read_bytes(), "長表.csv", CATALOGUE)
    frame = read_upload(corpus.long_table_csv(3 * len(sample) + 5), "長表.csv", CATALOGUE)  # the benchmark: 499,000
    # the sample year three times and a bit: every repeat has the same value, so the same figures come out
    assert frame[["year", "month", "unit", "field", "value"]].equals(sample[["year", "month", "unit", "field", "value"]])


# ---- formulas taken from another workbook ------------------------------------------------------------

def template_with(value: int) -> bytes:
    return build_template(PLAN_112, values={(FIELD, 3): Decimal(value)})


def test_a_formula_from_another_workbook_is_refused_naming_the_cell_and_the_file():
    data, cell = corpus.with_external_formula(template_with(42), 42)
    message = refusal(data, "月報.xlsx")
    assert f"儲存格 {cell}：公式取自另一個活頁簿（C:\\預算\\預算.xlsx），上傳前請將公式改為數值（複製→選擇性貼上→值）" \
        in message


def test_the_same_template_without_the_external_formula_is_read():
    read = read_any(template_with(42), "月報.xlsx", CATALOGUE, year=112, unit="政風處")
    assert read.frame["value"].tolist() == [Decimal(42)]


@pytest.mark.parametrize(("formula", "expected"), [
    ("[1]Sheet1!A1", 1),
    ("SUM('[2]預算 表'!B2:B5)+A1", 2),
    ("表1[[#This Row],[數量]]*2", None),  # a table's structured reference stays within the workbook
    ("SUM(B2:B5)", None),
    ("", None),
])
def test_external_link_number(formula, expected):
    assert sheet_xml.external_link_number(formula) == expected


def test_data_connections_are_ignored_and_said_so():
    read = read_any(corpus.with_connections(template_with(7)), "月報.xlsx", CATALOGUE, year=112, unit="政風處")
    assert read.frame["value"].tolist() == [Decimal(7)]
    assert "活頁簿含外部資料連線，已忽略；只讀取儲存格中的數值。" in read.notes


# ---- one size limit per kind of file -----------------------------------------------------------------

def test_readme_states_the_size_limits_from_the_constants():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert safety.limits_sentence() == "上傳檔案大小上限：月報範本與長表 20 MB，系統匯出檔 100 MB。"
    assert safety.limits_sentence() in readme
    assert f"活頁簿超過 {safety.MAX_SHEETS} 個工作表" in readme
    assert f"CSV 一列超過 {safety.MAX_CSV_FIELDS} 個欄位" in readme
    assert f"月報 {TEMPLATE_SHEET_CELLS // 10_000} 萬格、系統匯出\n{EXPORT_SHEET_CELLS:,} 萬格".replace(
        f"{EXPORT_SHEET_CELLS:,}", f"{EXPORT_SHEET_CELLS // 10_000:,}") in readme


def test_the_app_accepts_uploads_as_large_as_the_largest_kind():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    largest = max(safety.TEMPLATE_MAX_BYTES, safety.EXPORT_MAX_BYTES)
    assert config["server"]["maxUploadSize"] * 1024 * 1024 >= largest
    from metrics.intake import sources
    from metrics.intake.exports.common import DEFAULT_MAX_BYTES

    assert sources.TEMPLATE_MAX_BYTES == safety.TEMPLATE_MAX_BYTES
    assert sources.EXPORT_MAX_BYTES == DEFAULT_MAX_BYTES == safety.EXPORT_MAX_BYTES


@pytest.mark.parametrize(("size", "limit_named"), [
    (safety.EXPORT_MAX_BYTES + 1, "超過上限 100.0 MB（系統匯出檔上限 100 MB，月報範本與長表上限 20 MB）"),
])
def test_read_any_refuses_an_export_over_its_limit(size, limit_named):
    assert limit_named in refusal(b"x" * size, "公文清單.csv")


@pytest.mark.parametrize("command", ["ingest", "evaluate"])
def test_the_command_line_refuses_a_file_over_the_largest_limit_without_reading_it(tmp_path, command):
    path = tmp_path / "公文清單.csv"
    with path.open("wb") as handle:  # a sparse file: 197 MB on paper, nothing on disk
        handle.truncate(197 * 1024 * 1024)
    environment = {**os.environ, "KPI_DB_URL": f"sqlite:///{tmp_path / 'kpi.sqlite3'}"}
    completed = subprocess.run([sys.executable, "-m", "metrics", command, str(path), "--year", "112", "--unit", "政風處"],
                               cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment)
    assert completed.returncode != 0
    assert "檔案「公文清單.csv」：檔案大小 197.0 MB，超過上限 100.0 MB（系統匯出檔上限 100 MB，月報範本與長表上限 20 MB）" \
        in completed.stderr


def test_rows_repeating_earlier_ones_are_read_alike_and_each_bad_row_is_named():
    # rows 2 and 3 are clean and repeated in 4 and 5; rows 6 and 7 repeat a bad value, rows 8 and 9 a bad month
    data = (f"年度,月份,單位,項目代碼,數值\n112,1,政風處,{FIELD},3\n112,2,政風處,{FIELD},4\n"
            f"112,1,政風處,{FIELD},3\n112,2,政風處,{FIELD},4\n112,3,政風處,{FIELD},x\n112,3,政風處,{FIELD},x\n"
            f"112,13,政風處,{FIELD},3\n112,13,政風處,{FIELD},3\n").encode()
    with pytest.raises(InputError) as caught:
        read_upload(data, "長表.csv", CATALOGUE)
    cells = [problem.cell for problem in caught.value.problems]
    assert cells == ["E6", "E7", "B8", "B9"]
    clean = b"\n".join(data.splitlines()[:5]) + b"\n"
    frame = read_upload(clean, "長表.csv", CATALOGUE)
    assert frame[["month", "value", "source_cell"]].values.tolist() == [[1, Decimal(3), "E2"], [2, Decimal(4), "E3"]]


def test_the_hostile_benchmark_runs_small_and_prints_every_figure():
    completed = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_hostile.py"), "--small"],
                               capture_output=True, text=True, timeout=900)  # only against a hang: nothing timed
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout
    for name in corpus.REFUSED:
        assert name in output
    assert output.count("refused:") == len(corpus.REFUSED)
    assert "MB per MB" in output and "Long table: read_any" in output


def test_an_export_with_a_formula_from_another_workbook_is_refused_too():
    from synthetic_exports import xlsx_bytes

    rows = [corpus.DOCUMENT_HEADER.split(","),
            ["府政字第1120000001號", "發文", None, "112/01/05", None, "電子交換", None, "普通", 4321, "王大明"]]
    data, cell = corpus.with_external_formula(xlsx_bytes(rows), 4321)  # the 主旨 cell
    with pytest.raises(InputError, match=f"儲存格 {cell}：公式取自另一個活頁簿"):
        read_export(data, "公文清單.xlsx", PLAN_112, source="document_log", month=1)


def test_shared_strings_are_counted_when_the_file_understates_them():
    data = corpus.many_shared_strings(1_000_000, declared=10)
    limit = safety.allowed_shared_strings(len(data))
    assert limit < 1_000_000
    with pytest.raises(InputError, match=f"共用字串超過 {limit:,} 個"):
        safety.inspect_workbook(data, "字串.xlsx")


_MONTHLY_HEADER = ('<row r="1"><c r="A1" t="inlineStr"><is><t>項目代碼</t></is></c>'
                   '<c r="B1" t="inlineStr"><is><t>1月</t></is></c></row>')


@pytest.mark.parametrize("cell", [
    '<c><!-- r="A1" --><v>1</v></c>',  # a reference inside a comment
    "<c foo=' r=\"A1\"'><v>1</v></c>",  # inside another attribute's value
    '<c><?x r="A1"?><v>1</v></c>',  # inside a processing instruction
    '<c><v>1</v></c>',  # none at all, after a cell naming another row
])
def test_cells_a_byte_scan_could_misplace_are_placed_by_the_parser(cell):
    """16,000 cells in row 60,000 that the reader places one after another: a 30 GB grid from a 40 KB file,
    which aborted the whole process when the scan took a reference hidden in a comment or an attribute."""
    cells = _MONTHLY_HEADER + '<row r="60000"><c r="A5"><v>1</v></c>' + cell * 16_000 + "</row>"
    message = refusal(corpus.workbook([corpus.sheet_xml(cells)]), "月報.xlsx")
    assert "60,000 列 × 16,00" in message and "超過可讀取的上限" in message
