"""A TOML file that does not parse: where (line and column, or the end of the file) and what is wrong, in Chinese;
the parser's English only for a message it does not know."""

from __future__ import annotations

import tomllib

import pytest

from metrics.plans.toml_reading import Document, decode_error


@pytest.mark.parametrize(("text", "expected"), [
    ("weight = = 12.5", "TOML 格式錯誤（第 1 行第 10 字）：值的寫法不對：文字須加雙引號"),
    ('year = 112\nname = 預警案件數', "TOML 格式錯誤（第 2 行第 8 字）：值的寫法不對"),
    ("[monthly\n", "TOML 格式錯誤（第 1 行第 9 字）：表格名稱缺少結尾的「]」（例如 [monthly]）"),
    ("[[indicator]\nid = 1", "TOML 格式錯誤（第 1 行第 12 字）：表格名稱缺少結尾的「]]」"),
    ("year 112", "TOML 格式錯誤（第 1 行第 6 字）：鍵之後應接「=」與值"),
    ('name = "預警\nyear = 1', "TOML 格式錯誤（第 1 行第 11 字）：文字缺少結尾的引號"),  # the line break, not '\n'
    ("name = '預警", "TOML 格式錯誤（檔案結尾，第 1 行之後）：文字缺少結尾的「'」（引號須成對）"),
    ("a = [1,\n\n", "TOML 格式錯誤（檔案結尾，第 2 行之後）：值的寫法不對"),
    ("a = [1, 2", "TOML 格式錯誤（檔案結尾，第 1 行之後）：清單的「[」沒有對應的「]」"),
    ("[x.y]\n[x.y]\n", "TOML 格式錯誤（第 2 行第 5 字）：「x.y」重複宣告；同一個表格只能寫一次"),
    ("a = {b = 1, b = 2}", "TOML 格式錯誤（第 1 行第 18 字）：行內表格中的鍵「b」重複"),
    ("a = 1 2", "TOML 格式錯誤（第 1 行第 7 字）：一行只能寫一個「鍵 = 值」：值之後應換行"),
    ("名稱 = 1", "TOML 格式錯誤（第 1 行第 1 字）：這一行不是「鍵 = 值」、[表格] 或 [[表格陣列]]（含中文、空格或符號的鍵須加雙引號）"),
    ('a = "x\u0001"', "TOML 格式錯誤（第 1 行第 7 字）：文字中有不允許的字元「U+0001（控制字元）」"),
    ('a = "C:\\q"', "TOML 格式錯誤（第 1 行第 10 字）：雙引號文字中的「\\」須寫成「\\\\」，或改用單引號"),
])
def test_a_syntax_error_is_explained_in_chinese_with_its_line_and_column(text, expected):
    problems: list[str] = []
    Document(text, "plans/112/政風處.toml", problems)
    assert [problem.split("：", 1)[0] for problem in problems] == ["plans/112/政風處.toml"]
    assert expected in problems[0], problems[0]
    assert not any(word in problems[0] for word in ("Invalid", "Expected", "Unclosed", "line", "column", "document"))


def test_a_message_the_reading_does_not_know_keeps_the_parsers_words_in_parentheses():
    error = tomllib.TOMLDecodeError("Something new (at line 3, column 4)")
    assert decode_error(error) == "TOML 格式錯誤（第 3 行第 4 字）：請檢查引號、等號與方括號是否成對（Something new）"
    assert decode_error(tomllib.TOMLDecodeError("odd")) == "TOML 格式錯誤（odd）；請檢查引號、等號與方括號是否成對"


def test_the_roles_file_says_the_same(tmp_path):
    from metrics.errors import PlanError
    from metrics.plans.roles import load_roles

    (tmp_path / "roles.toml").write_text("[planner\nactions = []\n", encoding="utf-8")
    with pytest.raises(PlanError) as raised:
        load_roles(tmp_path)
    assert str(raised.value).endswith("roles.toml：TOML 格式錯誤（第 1 行第 9 字）：表格名稱缺少結尾的「]」（例如 [monthly]）")
