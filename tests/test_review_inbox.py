"""The inbox of each account and the reminders by e-mail, on the fixture catalogue and cycle (q1: months 1–3, due
112/04/15; 年終 due 113/01/20), on SQLite and PostgreSQL; the mails go to a local SMTP server the test starts.

- inbox: what waits for a reporter (to send, returned), a reviewer (已送自評), the board (初核通過); never one's own
  submission to review; nothing for a viewer or nobody; overdue first;
- the mail settings: saved by an administrator only, checked, audited; the password never stored;
- remind: to the reporters (with an e-mail, active) of the units 逾期 or 退回修正, each mail in the audit; a dry run
  sends nothing; no server configured, a server that refuses the login or lacks STARTTLS are said so.
"""

from __future__ import annotations

import datetime as dt

import pytest

from metrics.services.accounts import PermissionDenied
from metrics.errors import InputError
from metrics.services.reminders import PASSWORD_VARIABLE, MailFailed
from metrics.services.review import Task
from metrics.store import State
from smtp_server import smtp_server
from test_review import OTHER, OWN, PASSWORD, SYSTEM, make_review, sign_in, upload
from test_review import review  # noqa: F401  (the fixture)

JUNE_1 = dt.datetime(2023, 6, 1, 1, 0, tzinfo=dt.timezone.utc)  # 112/06/01


def inbox_of(review, actor) -> list[tuple[str, int, str, str, bool]]:
    return [(item.task.value, item.year, item.unit, item.checkpoint.id, item.overdue) for item in review.inbox(actor)]


def test_the_inbox_of_each_role_through_a_cycle(review):
    reporter = sign_in(review, ("reporter",))
    reviewer, board = sign_in(review, ("reviewer",), ()), sign_in(review, ("board",), ())
    viewer = sign_in(review, ("viewer",), ())
    # 112/05/01: q1's months are over and its deadline 04/15 passed; the 年終's months are not over yet.
    assert inbox_of(review, reporter) == [("送出自評", 112, OWN, "q1", True)]
    assert inbox_of(review, reviewer) == inbox_of(review, board) == inbox_of(review, viewer) == []
    assert review.inbox(review.services.actor(None)) == []
    other = sign_in(review, ("reporter",), (OTHER,), name="other.reporter")
    assert inbox_of(review, other) == [("送出自評", 112, OTHER, "q1", True)]

    upload(review, {1: "4", 2: "4", 3: "4"})
    review.submit(reporter, 112, OWN, "q1", "")
    assert inbox_of(review, reporter) == []
    assert inbox_of(review, reviewer) == [("初核", 112, OWN, "q1", False)]
    assert inbox_of(review, board) == []
    review.return_(reviewer, 112, OWN, "q1", "請補充")
    assert inbox_of(review, reporter) == [("送出自評", 112, OWN, "q1", True)]  # returned, past the deadline
    assert inbox_of(review, reviewer) == []
    review.submit(reporter, 112, OWN, "q1", "")
    review.pass_(reviewer, 112, OWN, "q1", "")
    assert inbox_of(review, board) == [("複核", 112, OWN, "q1", False)]
    review.approve(board, 112, OWN, "q1", "")
    assert inbox_of(review, reporter) == inbox_of(review, reviewer) == inbox_of(review, board) == []


def test_the_inbox_never_offers_ones_own_submission_and_puts_overdue_first(review):
    everything = sign_in(review, ("reporter", "reviewer"), (OWN, OTHER))
    upload(review, {1: "4", 2: "4", 3: "4"})
    review.submit(everything, 112, OWN, "q1", "")
    assert inbox_of(review, everything) == [("送出自評", 112, OTHER, "q1", True)]  # not 初核 of its own
    before_deadline = make_review(review.store, dt.datetime(2023, 4, 10, 1, tzinfo=dt.timezone.utc))
    actor = before_deadline.services.actor(before_deadline.services.login(everything.account.username, PASSWORD)[0])
    assert [(item.task, item.unit, item.overdue) for item in before_deadline.inbox(actor)] == [
        (Task.SUBMIT, OTHER, False)]  # 112/04/10: q1 is due, not yet overdue
    in_march = make_review(review.store, dt.datetime(2023, 3, 20, 1, tzinfo=dt.timezone.utc))
    assert in_march.inbox(actor) == []  # q1's months are not over yet: nothing to send


# ---- mail settings ----

def test_mail_settings_are_an_administrators_checked_and_audited(review):
    administrator, reviewer = sign_in(review, ("administrator",), ()), sign_in(review, ("reviewer",), ())
    with pytest.raises(PermissionDenied):
        review.save_mail_settings(reviewer, host="mail.example", port=25, starttls=False, sender="a@example.tw",
                                  user="")
    with pytest.raises(InputError) as refused:
        review.save_mail_settings(administrator, host="mail example", port=0, starttls=True, sender="", user="")
    assert [(problem.field, problem.value) for problem in refused.value.problems] == [
        ("連接埠", "0"), ("郵件伺服器（SMTP）主機", "mail example"), ("寄件者電子郵件", "（空白）")]
    saved = review.save_mail_settings(administrator, host="mail.example", port=587, starttls=True,
                                      sender="kpi@example.tw", user="kpi")
    assert review.mail_settings() == saved
    assert saved.text() == ("mail.example:587（STARTTLS），寄件者 kpi@example.tw，以 kpi 登入"
                            f"（密碼取自環境變數 {PASSWORD_VARIABLE}）")
    [row] = review.store.audit_log(limit=1)
    assert (row.action, row.outcome.value, row.account) == ("郵件設定", "允許", administrator.label)
    assert "郵件伺服器（SMTP）主機：— → mail.example" in row.detail and "連接埠：25 → 587" in row.detail
    assert not any("password" in key for key in review.store.settings())


# ---- reminders ----

def reporters(review) -> None:
    for username, units, email, active in (("wang", (OWN,), "wang@example.tw", True),
                                           ("chen", (OWN, OTHER), "chen@example.tw", True),
                                           ("nomail", (OWN,), "", True),
                                           ("gone", (OTHER,), "gone@example.tw", False)):
        review.services.add_account(SYSTEM, username, display_name=f"{username}君", roles=["reporter"],
                                    units=list(units), password=PASSWORD, email=email)
        if not active:
            review.services.set_active(SYSTEM, username, False)


def configure(review, port: int, *, starttls: bool = False, user: str = "") -> None:
    review.save_mail_settings(SYSTEM, host="127.0.0.1", port=port, starttls=starttls, sender="kpi@example.tw",
                              user=user)


def test_reminders_go_to_the_reporters_of_late_and_returned_units(review, monkeypatch):
    reporters(review)
    upload(review, {1: "4", 2: "4", 3: "4"})
    review.submit(SYSTEM, 112, OWN, "q1", "")
    review.return_(SYSTEM, 112, OWN, "q1", "請說明三月", {"1": "三月數字偏低"})
    monkeypatch.setenv(PASSWORD_VARIABLE, "smtp secret")
    with smtp_server(password="smtp secret") as (port, box):
        configure(review, port, user="kpi")
        listed = review.remind(SYSTEM, 112, "q1", dry_run=True)
        assert [(item.unit, item.state, item.to_text) for item in listed] == [
            (OWN, State.RETURNED, "chen君 <chen@example.tw>、wang君 <wang@example.tw>"),  # by account name
            (OTHER, State.OVERDUE, "chen君 <chen@example.tw>"),  # gone is disabled
            ("丙處", State.OVERDUE, "（沒有具電子郵件的填報人帳號）"),
        ]
        assert box.mails == []  # a dry run sends nothing
        audit_rows = len(review.store.audit_log())
        sent = review.remind(SYSTEM, 112, "q1")
    assert [(item.unit, item.sent, item.problem) for item in sent] == [
        (OWN, True, ""), (OTHER, True, ""), ("丙處", False, "沒有具電子郵件的填報人帳號，未寄送")]
    assert [(mail.login, mail.sender, sorted(mail.recipients)) for mail in box.mails] == [
        ("kpi", "kpi@example.tw", ["chen@example.tw", "wang@example.tw"]),
        ("kpi", "kpi@example.tw", ["chen@example.tw"])]
    returned, late = (mail.message for mail in box.mails)
    assert returned["Subject"] == "【績效考核】甲處 112 年度第一季自評：退回修正"
    body = returned.get_content()
    assert "退回修正：請說明三月" in body and "- 指標 1 " in body and "三月數字偏低" in body
    assert late["Subject"] == "【績效考核】乙處 112 年度第一季自評：逾期"
    assert "已過填報期限仍未齊全的月份：1月、2月、3月（每月數字應於次月 10 日前填報）。" in late.get_content()
    assert "已過自評期限，尚未送出自評。" in late.get_content()
    rows = review.store.audit_log()[:len(review.store.audit_log()) - audit_rows]
    assert sorted((row.action, row.outcome.value, row.unit) for row in rows) == [
        ("催報通知", "允許", OTHER), ("催報通知", "允許", OWN), ("催報通知", "失敗", "丙處")]
    assert all(PASSWORD_VARIABLE not in row.detail and "smtp secret" not in row.detail for row in rows)


def test_reminders_refused_or_failing_say_why(review, monkeypatch):
    reporters(review)
    viewer = sign_in(review, ("viewer",), ())
    with pytest.raises(PermissionDenied):
        review.remind(viewer, 112, "q1", dry_run=True)
    with pytest.raises(InputError, match="尚未設定郵件伺服器"):
        review.remind(SYSTEM, 112, "q1")
    with smtp_server() as (port, box):
        configure(review, port, starttls=True)
        with pytest.raises(MailFailed, match="不支援 STARTTLS"):
            review.remind(SYSTEM, 112, "q1")
        configure(review, port, user="kpi")
        monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
        with pytest.raises(MailFailed, match=f"環境變數 {PASSWORD_VARIABLE} 沒有密碼"):
            review.remind(SYSTEM, 112, "q1")
    with smtp_server(password="right") as (port, box):
        configure(review, port, user="kpi")
        monkeypatch.setenv(PASSWORD_VARIABLE, "wrong")
        with pytest.raises(MailFailed, match="拒絕以 kpi 登入"):
            review.remind(SYSTEM, 112, "q1")
        assert box.mails == [] and box.refused_logins == 1
    [row] = review.store.audit_log(limit=1)
    assert (row.action, row.outcome.value) == ("催報通知", "失敗") and "拒絕以 kpi 登入" in row.detail
    configure(review, 1)  # nothing listens there: the connection itself fails
    with pytest.raises(MailFailed, match="無法連線到郵件伺服器 127.0.0.1:1"):
        review.remind(SYSTEM, 112, "q1")


def test_no_late_unit_no_reminder(review):
    on_time = make_review(review.store, dt.datetime(2023, 2, 1, 1, tzinfo=dt.timezone.utc))  # 112/02/01
    assert on_time.remind(SYSTEM, 112, dry_run=True) == []
    assert on_time.remind(SYSTEM, 112) == []  # nothing to send: no server needed


def test_texts_longer_than_their_limit_are_refused_with_the_field(review):
    upload(review, {1: "4", 2: "4", 3: "4"})
    with pytest.raises(InputError) as refused:
        review.submit(SYSTEM, 112, OWN, "q1", "", {"1": "說" * 4_101})
    assert [(problem.field, problem.message) for problem in refused.value.problems] == [
        ("指標 1 的自評說明", "至多 4,100 字，卻有 4,101 字；詳細資料請另以附件或公文說明。")]
    review.submit(SYSTEM, 112, OWN, "q1", "", {"1": "說" * 4_100})  # exactly the limit
    with pytest.raises(InputError) as refused:
        review.return_(SYSTEM, 112, OWN, "q1", "請補充", {"1": "意" * 2_001, "9": "意" * 2_000})
    assert [problem.field for problem in refused.value.problems] == ["指標 1 的意見"]
    assert review.store.assessment(112, OWN, "q1").state is State.SUBMITTED


def test_the_draft_is_what_a_submission_would_send(review):
    upload(review, {1: "4", 2: "4"})
    draft = review.draft(112, OWN, "q1")
    assert draft.lacking == ("112年3月尚缺 3 項：案件數、認證人數（沿用2月）、現職人數（沿用2月）",)
    upload(review, {3: "2"})
    review.services.save_note(SYSTEM, 112, OWN, 3, "1", "人力不足", "")
    draft = review.draft(112, OWN, "q1")
    assert draft.lacking == ()
    assert [(item.indicator_id, item.result, item.achievement, item.light, item.explanation)
            for item in draft.items] == [("1", "10 案", "83.33", "黃", "落後原因：人力不足"), ("9", "50%", "100", "綠", "")]
    assert review.store.assessment(112, OWN, "q1") is None  # a draft writes nothing


def test_returned_comments_are_found_per_indicator_until_resubmitted(review):
    upload(review, {1: "4", 2: "4", 3: "4"})
    reviewer = sign_in(review, ("reviewer",), ())
    review.submit(SYSTEM, 112, OWN, "q1", "")
    assert review.returned_comments(112, OWN) == {}
    review.return_(reviewer, 112, OWN, "q1", "請補充", {"1": "請說明一月"})
    [(label, item)] = review.returned_comments(112, OWN)["1"]
    assert (label, item.review_comment, item.reviewed_by) == ("112 年度第一季", "請說明一月", reviewer.label)
    review.submit(SYSTEM, 112, OWN, "q1", "")
    assert review.returned_comments(112, OWN) == {}


@pytest.mark.parametrize(("month", "locked"), [(1, True), (3, True), (4, False), (12, False)])
def test_the_month_locked_by_an_approved_self_assessment(review, month, locked):
    upload(review, {1: "4", 2: "4", 3: "4"})
    assert review.locking(112, OWN, month) is None
    review.submit(SYSTEM, 112, OWN, "q1", "")
    review.pass_(SYSTEM, 112, OWN, "q1", "")
    assert review.locking(112, OWN, month) is None  # passed is not approved
    review.approve(SYSTEM, 112, OWN, "q1", "")
    found = review.locking(112, OWN, month)
    assert (found is not None and found.checkpoint == "q1") is locked
    assert review.locking(112, OTHER, month) is None and review.locking(113, OWN, month) is None
