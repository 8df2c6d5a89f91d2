"""`ingest` of files that disagree (issue 13 item 2): refused with exit 2, the conflicts side by side, how to
settle them, nothing stored; given one at a time, the one ingested last is kept."""

from __future__ import annotations

from test_cli_store import history, run


def long_csv(path, rows: list[tuple[int, str, int]]) -> str:
    path.write_text("年度,月份,單位,項目代碼,數值\n" + "".join(f"112,{month},政風處,{code},{value}\n"
                                                      for month, code, value in rows), encoding="utf-8")
    return str(path)


def test_files_that_disagree_are_refused_side_by_side_and_nothing_is_stored(store_url, tmp_path):
    first = long_csv(tmp_path / "A.csv", [(3, "warning_cases", 12), (3, "procurement_audits", 7)])
    second = long_csv(tmp_path / "B.csv", [(3, "warning_cases", 4), (3, "procurement_audits", 7)])
    completed = run("ingest", first, second, url=store_url)
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.splitlines()
    assert lines[0] == "錯誤：所選的檔案中有 1 個數字互相矛盾（同一月份的同一項目，在不同檔案中的數值不同）："
    assert lines[1].split() == ["年月", "項目", "A.csv", "B.csv"]
    assert lines[2].split() == ["112年3月", "預警案件數", "12（E2）", "4（E2）"]
    assert "分次匯入，想保留的檔案最後匯入" in lines[3] and "ingest「B.csv」即以它為準" in lines[3]
    assert lines[-1] == "未儲存任何資料。"
    assert history(store_url) == []

    assert run("ingest", first, url=store_url).returncode == 0
    assert run("ingest", second, url=store_url).returncode == 0
    assert [batch["file_name"] for batch in history(store_url)] == ["B.csv", "A.csv"]


def test_the_same_value_in_two_files_is_ingested(store_url, tmp_path):
    first = long_csv(tmp_path / "A.csv", [(3, "procurement_audits", 7)])
    second = long_csv(tmp_path / "B.csv", [(3, "procurement_audits", 7), (4, "procurement_audits", 8)])
    completed = run("ingest", first, second, url=store_url)
    assert completed.returncode == 0, completed.stderr
    assert len(history(store_url)) == 2
