"""The readers' registry ranks every export kind against a header row; ties and near-misses are offered."""

from __future__ import annotations

import pytest

from metrics.intake.readers import Fit, offered, offered_text, rank

DOCUMENTS = ["收發別", "交換方式", "收文日期", "文號"]  # 公文清單's required columns, a date and 文號: 4 columns
PEOPLE = ["人員類別", "到職日期", "客語認證級別"]  # 人事名冊's required columns and one of 客語: 3 columns


@pytest.mark.parametrize("headers, picked, picked_fit, ranked, shown", [
    # clear winner: 公文清單 has its columns, no other kind names a required column of its own
    (DOCUMENTS, None, Fit.NONE,
     [("document_log", Fit.COLUMNS, 4)], []),
    # located by the first look (SURE): nothing offered, even with another kind's columns present
    (DOCUMENTS + PEOPLE, "document_log", Fit.SURE,
     [("document_log", Fit.SURE, 4), ("roster", Fit.COLUMNS, 3)], []),
    # tie at COLUMNS: both offered, the one naming more columns first
    (DOCUMENTS + PEOPLE, None, Fit.NONE,
     [("document_log", Fit.COLUMNS, 4), ("roster", Fit.COLUMNS, 3)],
     ["document_log", "roster"]),
    # tie at COLUMNS with the first look's pick: the pick first, though it names fewer columns
    (DOCUMENTS + PEOPLE, "roster", Fit.COLUMNS,
     [("roster", Fit.COLUMNS, 3), ("document_log", Fit.COLUMNS, 4)],
     ["roster", "document_log"]),
    # near-miss: 公文清單's columns (COLUMNS), one of 人事名冊's (GUESS)
    (DOCUMENTS + ["到職日期"], None, Fit.NONE,
     [("document_log", Fit.COLUMNS, 4), ("roster", Fit.GUESS, 1)],
     ["document_log", "roster"]),
    # tie at GUESS: one required column of each, the registry's order decides
    (["收發別", "人員類別"], None, Fit.NONE,
     [("document_log", Fit.GUESS, 1), ("roster", Fit.GUESS, 1)],
     ["document_log", "roster"]),
    # a GUESS alone: no choice to offer
    (["預算數", "備註"], None, Fit.NONE,
     [("ledger", Fit.GUESS, 1)], []),
    # nothing: no kind fits
    (["甲", "乙", ""], None, Fit.NONE, [], []),
    # no headers at all
    ([], None, Fit.NONE, [], []),
])
def test_ranking(headers, picked, picked_fit, ranked, shown):
    candidates = rank(headers, picked, picked_fit)
    assert [(candidate.kind, candidate.fit, candidate.columns) for candidate in candidates
            if candidate.fit > Fit.NONE] == ranked
    assert all(candidate.fit is Fit.NONE for candidate in candidates[len(ranked):])
    assert [candidate.kind for candidate in offered(candidates)] == shown


def test_two_levels_below_is_not_offered():
    from metrics.intake.readers import Candidate

    sure_and_guess = [Candidate("document_log", Fit.SURE, 5), Candidate("roster", Fit.GUESS, 1)]
    columns_and_none = [Candidate("document_log", Fit.COLUMNS, 5), Candidate("roster", Fit.NONE, 0)]
    assert offered(sure_and_guess) == [] and offered(columns_and_none) == []


def test_the_words_offered():
    assert offered_text(offered(rank(DOCUMENTS + PEOPLE))) == "這個檔案可能是：公文清單（符合 4 欄）／人事名冊（符合 3 欄）"


def test_an_uploads_candidates_come_from_its_first_look():
    from metrics.intake import Upload
    from metrics.intake.readers import candidates
    from test_choose_kind import xlsx

    tie = Upload("混合.xlsx", xlsx([DOCUMENTS + PEOPLE, ["收文", "電子交換", "112/01/05", "府收字第1號"]]))
    located = Upload("公文.xlsx", xlsx([DOCUMENTS, ["收文", "電子交換", "112/01/05", "府收字第1號"]]))
    unknown = Upload("其他.xlsx", xlsx([["甲", "乙"], ["1", "2"]]))
    # the tie here is broken by the first look (4 columns against 3): 公文清單 is located, nothing offered
    assert [(c.kind, c.fit) for c in candidates(tie)][:2] == [("document_log", Fit.SURE), ("roster", Fit.COLUMNS)]
    assert offered(candidates(tie)) == []
    assert candidates(located)[0].fit is Fit.SURE and offered(candidates(located)) == []
    assert all(candidate.fit is Fit.NONE for candidate in candidates(unknown))
    # three columns each: the first look cannot tell (its guess, 人事名冊, first), both offered
    even = Upload("三欄.xlsx", xlsx([["收發別", "交換方式", "日期", *PEOPLE], ["收文", "電子交換", "112/01/05"]]))
    assert [(c.kind, c.fit, c.columns) for c in offered(candidates(even))] == [("roster", Fit.COLUMNS, 3),
                                                                             ("document_log", Fit.COLUMNS, 3)]
