"""File names as the store keeps them: no control character, no identity number, no name beside one."""

from __future__ import annotations

import pytest

from metrics.names import clean_file_name, printable


@pytest.mark.parametrize(("given", "kept", "masked", "stripped"), [
    ("112年3月月報.xlsx", "112年3月月報.xlsx", False, False),
    ("A123456789_王小明.csv", "A12****789_王○明.csv", True, False),
    ("王小明_A123456789.csv", "王○明_A12****789.csv", True, False),
    ("a223456789 歐陽小明.csv", "A22****789 歐○○明.csv", True, False),  # typed in lower case
    ("姓名王小明_A123456789.xlsx", "姓名王○明_A12****789.xlsx", True, False),
    ("AB12345678.csv", "AB1****678.csv", True, False),  # resident certificate, old style
    ("A812345678.csv", "A81****678.csv", True, False),  # resident certificate, new style
    ("人事名冊_A123456789.csv", "人事名冊_A12****789.csv", True, False),  # a document word is not a name
    ("A1234567890.csv", "A1234567890.csv", False, False),  # eleven digits: not an identity number
    ("王小明_人事名冊.csv", "王小明_人事名冊.csv", False, False),  # no number: a name alone is not detected
    ("公文\n\x1b[31m已復原\x1b[0m.csv", "公文[31m已復原[0m.csv", False, True),
    ("evil\u202etxt.xlsx", "eviltxt.xlsx", False, True),  # a right-to-left override reorders what is shown
    ("\x00", "（無檔名）", False, True),
    ("  月報.xlsx ", "月報.xlsx", False, False),
])
def test_clean_file_name(given: str, kept: str, masked: bool, stripped: bool) -> None:
    clean = clean_file_name(given)
    assert (clean.text, clean.masked, clean.stripped) == (kept, masked, stripped)
    assert clean_file_name(clean.text).text == clean.text  # cleaning twice changes nothing


def test_the_uploader_is_told() -> None:
    assert clean_file_name("A123456789_王小明.csv").notice("A123456789_王小明.csv") == (
        "檔名含身分證號碼，為保護個人資料，已改以「A12****789_王○明.csv」保存。")
    assert "控制字元" in clean_file_name("a\nb.csv").notice("a\nb.csv")
    assert clean_file_name("月報.xlsx").notice("月報.xlsx") == ""


@pytest.mark.parametrize(("given", "shown"), [
    ("批次 1：月報.xlsx", "批次 1：月報.xlsx"),
    ("x\n\x1b[31m已復原", "x\\n\\x1b[31m已復原"),
    ("a\tb\u202ec", "a\\tb\\u202ec"),
])
def test_printable(given: str, shown: str) -> None:
    assert printable(given) == shown
