"""The audit trail cannot be rewritten unseen: a REPLACE of an existing id is refused, every row is chained to the
one before by a hash, `audit --verify` names the first row changed, deleted, moved or slipped in once the
triggers are gone, and on PostgreSQL the app runs as a role that cannot touch the triggers at all.

Runs on SQLite and PostgreSQL (conftest.store_url); the runtime-role tests need PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from metrics.store import audit_chain
from metrics.services.transfer_wording import break_kind
from metrics.store.audit_chain import GENESIS, BreakKind
from metrics.errors import StoreError
from metrics.store import SCHEMA_VERSION, AuditEntry, Outcome, Store

ROOT = Path(__file__).resolve().parents[1]
ACCOUNTS = ["王小明（wang）", "林專員（lin）", "陳科長（chen）", "李主任（lee）", "張課員（chang）", "黃處長（huang）"]


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as opened:
        yield opened


def fill(store: Store, count: int = 6) -> None:
    """`count` rows, ids 1..count, one write each, the way the app writes them."""
    for index in range(count):
        store.record([AuditEntry(ACCOUNTS[index % len(ACCOUNTS)], "上傳", Outcome.ALLOWED, f"第 {index + 1} 批",
                                 f"說明 {index + 1}", unit="政風處", year=112)])


def run_cli(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "metrics", *arguments], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def execute(url: str, *statements: str, parameters: dict | None = None) -> None:
    """Statements as someone with a database client would run them: outside the app, in one transaction."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(sa.text(statement), parameters or {})
    finally:
        engine.dispose()


def rows(url: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(
                "SELECT id, account, detail, previous_hash, row_hash FROM audit_log ORDER BY id"))]
    finally:
        engine.dispose()


# ---- the hash itself ----

def test_the_row_hash_is_sha256_over_the_previous_hash_and_the_fields_in_a_fixed_form() -> None:
    import hashlib

    record = {"at": dt.datetime(2024, 1, 5, 6, 20, 0, 123456), "account": "王小明（wang）", "action": "上傳",
              "outcome": "允許", "unit": "政風處", "year": 112, "subject": "第 1 批", "detail": ""}
    canonical = (f'["{GENESIS}","2024-01-05 06:20:00.123456","王小明（wang）","上傳","允許","政風處",112,'
                 '"第 1 批",""]')
    assert audit_chain.row_hash(GENESIS, record) == hashlib.sha256(canonical.encode()).hexdigest()
    # every field counts, a missing year (None) is not an empty text, and the previous hash counts
    assert audit_chain.row_hash(GENESIS, {**record, "year": None}) != audit_chain.row_hash(GENESIS, record)
    assert audit_chain.row_hash(GENESIS, {**record, "detail": " "}) != audit_chain.row_hash(GENESIS, record)
    assert audit_chain.row_hash("0" * 64, record) != audit_chain.row_hash(GENESIS, record)
    aware = {**record, "at": record["at"].replace(tzinfo=dt.timezone.utc)}
    assert audit_chain.row_hash(GENESIS, aware) == audit_chain.row_hash(GENESIS, record)


def test_rows_are_chained_from_the_genesis_value_with_consecutive_ids(store: Store) -> None:
    fill(store, 3)
    store.record([AuditEntry("甲", "登入", Outcome.DENIED), AuditEntry("乙", "登入", Outcome.FAILED)])  # one write, two rows
    stored = rows(store.url)
    assert [row[0] for row in stored] == [1, 2, 3, 4, 5]
    assert stored[0][3] == GENESIS
    assert [row[3] for row in stored[1:]] == [row[4] for row in stored[:-1]]
    report = store.verify_audit_chain()
    assert (report.intact, report.rows, report.first_id, report.last_id, report.last_hash) == (
        True, 5, 1, 5, stored[-1][4])


# ---- REPLACE reusing an id (SQLite deletes the old row without firing the DELETE trigger) ----

REPLACING = {
    "sqlite": ["INSERT OR REPLACE INTO audit_log (id, at, account, action, outcome, unit, subject, detail) "
               "VALUES (1, '2024-01-01 00:00:00', '別人', '上傳', '允許', '', '', '')",
               "REPLACE INTO audit_log (id, at, account, action, outcome, unit, subject, detail) "
               "VALUES (1, '2024-01-01 00:00:00', '別人', '上傳', '允許', '', '', '')",
               "INSERT INTO audit_log (id, at, account, action, outcome, unit, subject, detail) "
               "VALUES (1, '2024-01-01 00:00:00', '別人', '上傳', '允許', '', '', '') "
               "ON CONFLICT (id) DO UPDATE SET account = excluded.account"],
    "postgresql": ["INSERT INTO audit_log (id, at, account, action, outcome, unit, subject, detail) "
                   "VALUES (1, '2024-01-01 00:00:00', '別人', '上傳', '允許', '', '', '') "
                   "ON CONFLICT (id) DO UPDATE SET account = excluded.account"],
}


@pytest.mark.parametrize("which", [0, 1, 2], ids=["INSERT OR REPLACE", "REPLACE INTO", "upsert"])
def test_an_insert_reusing_an_id_is_refused_and_the_row_stays(store: Store, which: int) -> None:
    statements = REPLACING[store.dialect]
    if which >= len(statements):
        pytest.skip("SQLite's REPLACE only")
    fill(store, 2)
    before = rows(store.url)
    with pytest.raises(sa.exc.DBAPIError, match="操作紀錄只能新增，不能"):
        execute(store.url, statements[which])
    assert rows(store.url) == before
    assert store.verify_audit_chain().intact


def test_a_new_row_with_a_new_id_is_still_accepted_by_the_trigger(store: Store) -> None:
    fill(store, 1)
    store.record([AuditEntry("甲", "登入", Outcome.ALLOWED)])
    assert [row[0] for row in rows(store.url)] == [1, 2]


# ---- rewrites once the triggers are gone: found and named ----

def _drop_sqlite_triggers(url: str) -> None:
    execute(url, "DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_log_no_replace")


def _forged_row(row_id: int, previous: str, account: str = "冒名者") -> dict:
    """A row someone writes by hand, chained properly to `previous` (they know the algorithm)."""
    record = {"at": dt.datetime(2024, 1, 1), "account": account, "action": "上傳", "outcome": "允許", "unit": "",
              "year": None, "subject": "", "detail": ""}
    return {**record, "id": row_id, "previous": previous, "hash": audit_chain.row_hash(previous, record)}


INSERT_FORGED = ("INSERT INTO audit_log (id, at, account, action, outcome, unit, year, subject, detail, previous_hash, "
                 "row_hash) VALUES (:id, :at, :account, :action, :outcome, :unit, :year, :subject, :detail, :previous, "
                 ":hash)")


def _tamper(url: str, case: str) -> None:
    stored = {row[0]: row for row in rows(url)}
    if case == "changed":
        execute(url, "UPDATE audit_log SET detail = '改過的說明' WHERE id = 3")
    elif case == "changed and rehashed, next row left":  # the row's own hash recomputed, the next still points back
        record = dict(_forged_row(3, stored[3][3], account="改過的帳號"))
        execute(url, "UPDATE audit_log SET account = :account, at = :at, detail = :detail, unit = :unit, "
                     "year = :year, subject = :subject, row_hash = :hash WHERE id = 3", parameters=record)
    elif case == "deleted":
        execute(url, "DELETE FROM audit_log WHERE id = 3")
    elif case == "first deleted":
        execute(url, "DELETE FROM audit_log WHERE id = 1")
    elif case == "swapped":
        execute(url, "UPDATE audit_log SET id = 100 WHERE id = 2", "UPDATE audit_log SET id = 2 WHERE id = 3",
                "UPDATE audit_log SET id = 3 WHERE id = 100")
    elif case == "inserted unchained":
        execute(url, "INSERT INTO audit_log (id, at, account, action, outcome, unit, subject, detail) "
                     "VALUES (7, '2024-01-01 00:00:00', '冒名者', '上傳', '允許', '', '', '')")
    elif case == "inserted with made-up hashes":
        execute(url, INSERT_FORGED, parameters={**_forged_row(7, "ab" * 32), "hash": "cd" * 32})
    elif case == "inserted and chained in the middle":
        execute(url, "UPDATE audit_log SET id = id + 10 WHERE id >= 4")
        execute(url, INSERT_FORGED, parameters=_forged_row(4, stored[3][4]))
    else:
        raise AssertionError(case)


# case → (the row named, what is said, a phrase of the explanation); rows 1..6 before the change
REWRITES = [
    ("changed", 3, BreakKind.CHANGED, "寫入後被修改過"),
    ("changed and rehashed, next row left", 3, BreakKind.CHANGED, "雜湊值也被重新計算：下一筆（編號 4）"),
    ("deleted", 4, BreakKind.MISSING, "（編號 3 不見了）"),
    ("first deleted", 2, BreakKind.MISSING, "最早的紀錄被刪除"),
    ("swapped", 2, BreakKind.REORDERED, "緊接在現在的編號 3 之後"),
    ("inserted unchained", 7, BreakKind.INSERTED, "沒有雜湊值"),
    ("inserted with made-up hashes", 7, BreakKind.INSERTED, "與內容、與前一筆都對不上"),
    ("inserted and chained in the middle", 4, BreakKind.INSERTED, "編號 3 之後原本緊接的是編號 14；編號 4 不在原本的鏈結中"),
]


@pytest.mark.parametrize(("case", "row_id", "kind", "phrase"), REWRITES, ids=[case for case, *_ in REWRITES])
def test_sqlite_rewrites_after_drop_trigger_are_named_by_verify(tmp_path, case: str, row_id: int, kind: BreakKind,
                                                                 phrase: str) -> None:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    with Store(url) as store:
        fill(store)
        assert store.verify_audit_chain().intact
        _drop_sqlite_triggers(url)
        _tamper(url, case)
        report = store.verify_audit_chain()
    assert report.broken is not None
    assert (report.broken.row_id, report.broken.kind) == (row_id, kind)
    assert phrase in report.broken.explanation
    completed = run_cli("audit", "--verify", "--db", url)
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert f"操作紀錄驗證未通過（{url}）：第一個有問題的是編號 {row_id}" in completed.stdout
    assert break_kind(kind) in completed.stdout and "Traceback" not in completed.stderr


@pytest.mark.postgres
@pytest.mark.parametrize(("case", "row_id", "kind", "phrase"), [
    ("UPDATE audit_log SET account = '別人' WHERE id = 3", 3, BreakKind.CHANGED, "寫入後被修改過"),
    ("DELETE FROM audit_log WHERE id = 3", 4, BreakKind.MISSING, "（編號 3 不見了）"),
    ("UPDATE audit_log SET at = at - interval '1 day' WHERE id = 5", 5, BreakKind.CHANGED, "寫入後被修改過"),
], ids=["update", "delete", "backdated"])
def test_postgresql_rewrites_by_the_owner_after_disable_trigger_are_named_by_verify(
        postgres_url: str, case: str, row_id: int, kind: BreakKind, phrase: str) -> None:
    with Store(postgres_url) as store:
        fill(store)
        with pytest.raises(sa.exc.DBAPIError, match="操作紀錄只能新增"):
            execute(postgres_url, case)
        execute(postgres_url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", case,
                "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        report = store.verify_audit_chain()
    assert (report.broken.row_id, report.broken.kind) == (row_id, kind)
    assert phrase in report.broken.explanation
    completed = run_cli("audit", "--verify", "--db", postgres_url)
    assert completed.returncode == 1
    assert f"第一個有問題的是編號 {row_id}" in completed.stdout and break_kind(kind) in completed.stdout


def test_an_intact_chain_verifies_and_prints_the_last_row_to_write_down(store: Store) -> None:
    completed = run_cli("audit", "--verify", "--db", store.url)
    assert (completed.returncode, completed.stdout.strip()) == (0, f"操作紀錄是空的（{store.display_url()}），沒有可驗證的紀錄。")
    fill(store)
    last_hash = rows(store.url)[-1][4]
    completed = run_cli("audit", "--verify", "--db", store.url)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "操作紀錄驗證通過" in completed.stdout and "共 6 筆，從編號 1 到編號 6 環環相扣" in completed.stdout
    assert f"--anchor 6:{last_hash}" in completed.stdout
    assert run_cli("audit", "--verify", "--db", store.url, "--anchor", f"6:{last_hash}").returncode == 0


@pytest.mark.parametrize(("anchor", "code", "phrase"), [
    ("6:{hash6}", 1, "先前記下的編號 6（雜湊值 {short}…）已不在資料表中：這一筆與其後的紀錄被刪除了"),
    ("5:{hash6}", 1, "的雜湊值已不同"),
    ("5:{hash5}", 0, "操作紀錄驗證通過"),
    ("5", 2, "--anchor「5」格式不正確"),
    ("五:{hash5}", 2, "格式不正確"),
], ids=["truncated tail", "wrong hash", "earlier anchor still there", "no hash", "not a number"])
def test_an_anchor_finds_the_tail_cut_off(tmp_path, anchor: str, code: int, phrase: str) -> None:
    url = f"sqlite:///{tmp_path / 'kpi.sqlite3'}"
    with Store(url) as store:
        fill(store)
    hashes = {row[0]: row[4] for row in rows(url)}
    _drop_sqlite_triggers(url)
    execute(url, "DELETE FROM audit_log WHERE id = 6")  # the last row: the chain alone cannot tell
    with Store(url) as store:
        assert store.verify_audit_chain().intact
    values = {"hash6": hashes[6], "hash5": hashes[5], "short": hashes[6][:16]}
    completed = run_cli("audit", "--verify", "--db", url, "--anchor", anchor.format(**values))
    assert completed.returncode == code, completed.stdout + completed.stderr
    assert phrase.format(**values) in completed.stdout + completed.stderr


def test_anchor_without_verify_is_refused(store: Store) -> None:
    completed = run_cli("audit", "--anchor", "1:" + "a" * 64, "--db", store.url)
    assert completed.returncode == 2 and "--anchor 只能與 --verify 一起使用" in completed.stderr


# ---- a store of schema 3 gets its chain ----

def _downgrade_to_schema_3(url: str, dialect: str) -> None:
    """Today's store turned back into what schema 3 was: no hash columns, no REPLACE trigger, version 3; with a
    gap in the ids, as a rolled-back PostgreSQL sequence left them."""
    if dialect == "sqlite":
        _drop_sqlite_triggers(url)
        execute(url, "DELETE FROM audit_log WHERE id = 2",
                "ALTER TABLE audit_log DROP COLUMN previous_hash", "ALTER TABLE audit_log DROP COLUMN row_hash",
                "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, '操作紀錄只能新增，不能修改或刪除'); END",
                "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
                "BEGIN SELECT RAISE(ABORT, '操作紀錄只能新增，不能修改或刪除'); END")
    else:
        execute(url, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                "DELETE FROM audit_log WHERE id = 2", "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only",
                "ALTER TABLE audit_log DROP COLUMN previous_hash", "ALTER TABLE audit_log DROP COLUMN row_hash")
    execute(url, "DROP TABLE assessment_transitions", "DROP TABLE assessment_items", "DROP TABLE assessments")  # schema 5
    execute(url, "DROP TABLE cycle_versions")  # schema 6
    execute(url, "DELETE FROM schema_version", "INSERT INTO schema_version (version, applied_at) "
                                               "VALUES (3, '2024-01-01 00:00:00')")


def test_a_schema_3_store_is_chained_by_the_migration(store_url: str) -> None:
    with Store(store_url) as store:
        fill(store, 5)
        dialect = store.dialect
    before = [(row[0], row[1], row[2]) for row in rows(store_url)]
    _downgrade_to_schema_3(store_url, dialect)
    with Store(store_url) as upgraded:
        stored = rows(store_url)
        assert [(row[0], row[1], row[2]) for row in stored] == [row for row in before if row[0] != 2]
        assert [row[0] for row in stored] == [1, 3, 4, 5]
        assert stored[0][3] == GENESIS and all(row[4] for row in stored)
        report = upgraded.verify_audit_chain()
        assert (report.intact, report.rows, report.last_id) == (True, 4, 5)  # the old gap is not a deletion
        upgraded.record([AuditEntry("甲", "登入", Outcome.ALLOWED)])
        assert rows(store_url)[-1][0] == 6 and upgraded.verify_audit_chain().intact
        with upgraded._reading() as connection:
            versions = connection.execute(sa.text("SELECT version FROM schema_version ORDER BY version")).scalars()
            assert list(versions) == [3, 4, 5, SCHEMA_VERSION] == [3, 4, 5, 6]
    with pytest.raises(sa.exc.DBAPIError, match="操作紀錄只能新增"):  # the guards are back after the migration
        execute(store_url, "UPDATE audit_log SET account = '別人' WHERE id = 1")
    if dialect == "sqlite":
        with pytest.raises(sa.exc.DBAPIError, match="不能以相同編號取代"):
            execute(store_url, REPLACING["sqlite"][1])


# ---- two writers at once keep one chain ----

def test_two_writers_at_once_keep_one_linear_chain(store_url: str) -> None:
    Store(store_url).close()
    per_writer, errors = 25, []
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        try:
            with Store(store_url) as own:
                start.wait()
                for index in range(per_writer):
                    own.record([AuditEntry(name, "登入", Outcome.ALLOWED, f"{index}"),
                                AuditEntry(name, "登出", Outcome.ALLOWED, f"{index}")])
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("甲", "乙")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    stored = rows(store_url)
    assert [row[0] for row in stored] == list(range(1, 2 * 2 * per_writer + 1))
    assert [row[3] for row in stored] == [GENESIS] + [row[4] for row in stored[:-1]]  # no two rows share a parent
    with Store(store_url) as store:
        assert store.verify_audit_chain().intact


# ---- backups and copies carry the chain ----

def test_a_backup_and_a_copy_carry_the_chain(store_url: str, tmp_path) -> None:
    from metrics.store.transfer.restore import restore_backup
    from metrics.store.transfer.write import copy_store, write_backup

    with Store(store_url) as store:
        fill(store)
        original = rows(store_url)
        write_backup(store, tmp_path / "kpi.jsonl.gz")
    restored_url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    with Store(restored_url) as restored:
        restore_backup(tmp_path / "kpi.jsonl.gz", restored)
        assert rows(restored_url) == original
        assert restored.verify_audit_chain().intact
        restored.record([AuditEntry("甲", "登入", Outcome.ALLOWED)])  # the chain goes on from the restored rows
        assert rows(restored_url)[-1][0] == 7 and restored.verify_audit_chain().intact
    copied_url = f"sqlite:///{tmp_path / 'copied.sqlite3'}"
    with Store(store_url) as source, Store(copied_url) as copied:
        copy_store(source, copied)
        assert rows(copied_url) == original and copied.verify_audit_chain().intact


# ---- PostgreSQL: the app as a role that does not own the tables ----

@pytest.fixture
def runtime_role(postgres_server_url: str) -> Iterator[str]:
    role = f"kpi_app_{uuid.uuid4().hex[:12]}"
    execute(postgres_server_url, f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        execute(postgres_server_url, f"DROP OWNED BY {role}", f"DROP ROLE {role}")


def _as_role(url: str, role: str) -> str:
    return sa.engine.make_url(url).set(username=role).render_as_string(hide_password=False)


@pytest.mark.postgres
def test_the_app_runs_as_a_role_that_cannot_touch_the_audit_trail(postgres_url: str, runtime_role: str) -> None:
    from catalogues import CATALOGUE
    from test_store import ingest, tidy

    completed = run_cli("migrate", "--db", postgres_url, "--grant", runtime_role)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"的結構為第 {SCHEMA_VERSION} 版" in completed.stdout
    assert f"GRANT SELECT, INSERT ON audit_log TO {runtime_role};" in completed.stdout
    runtime_url = _as_role(postgres_url, runtime_role)
    with Store(runtime_url, field_names={field.code: field.name for field in CATALOGUE.fields}) as app:
        # ordinary work: uploads, undo, notes, settings, accounts, sessions, audit rows
        ingest(app, tidy((1, "warning_cases", "1")), "一月.xlsx")
        ingest(app, tidy((1, "warning_cases", "2")), "一月更正.xlsx")
        app.undo(2, user="王小明")
        app.save_note(112, "政風處", 1, "2", "原因", "措施", author="王小明")
        app.save_settings({"idle_minutes": "30"})
        account = app.add_account("wang", display_name="王小明", email="", roles=["reporter"], units=["政風處"],
                                  password_hash=None, audit=[AuditEntry("系統管理者", "新增帳號", Outcome.ALLOWED, "wang")])
        app.start_session(account.id, "t" * 64, "password")
        app.touch_session("t" * 64)
        fill(app, 3)
        assert len(app.audit_log()) == 4 and app.verify_audit_chain().intact
    for statement in ("UPDATE audit_log SET account = '別人'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                      "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
                      "ALTER TABLE audit_log DISABLE TRIGGER ALL", "DROP TRIGGER audit_log_append_only ON audit_log",
                      "DROP TABLE audit_log", "CREATE TABLE intruder (id integer)",
                      "INSERT INTO schema_version (version, applied_at) VALUES (99, now())"):
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
            execute(runtime_url, statement)
    assert run_cli("audit", "--verify", "--db", runtime_url).returncode == 0  # verifying needs only SELECT


@pytest.mark.postgres
def test_a_runtime_role_that_would_have_to_migrate_is_told_to_ask_the_owner(postgres_url: str,
                                                                            runtime_role: str) -> None:
    with Store(postgres_url) as store:
        fill(store, 2)
    assert run_cli("migrate", "--db", postgres_url, "--grant", runtime_role).returncode == 0
    _downgrade_to_schema_3(postgres_url, "postgresql")
    with pytest.raises(StoreError, match="需要將資料庫結構由第 3 版升級到第 6 版，但目前的資料庫帳號沒有權限.*"
                                         "python -m metrics migrate --db"):
        Store(_as_role(postgres_url, runtime_role))
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:  # nothing half-done: still schema 3
        assert "row_hash" not in {column["name"] for column in sa.inspect(connection).get_columns("audit_log")}
    engine.dispose()
    completed = run_cli("migrate", "--db", postgres_url)
    assert completed.returncode == 0 and "結構為第 6 版" in completed.stdout
    with Store(_as_role(postgres_url, runtime_role)) as app:
        assert app.verify_audit_chain().intact


@pytest.mark.postgres
@pytest.mark.parametrize(("who", "message"), [
    ("owner", "擁有這些資料表"), ("root", "是超級使用者"), ("nobody_such_role", "資料庫沒有角色"), ("Bad-Name", "角色名稱「Bad-Name」不合法"),
])
def test_grant_refuses_a_role_it_cannot_hold_back(postgres_url: str, runtime_role: str, who: str, message: str) -> None:
    owner_url = postgres_url
    if who == "owner":  # the runtime role made owner of the tables
        Store(postgres_url).close()
        execute(postgres_url, f"ALTER TABLE audit_log OWNER TO {runtime_role}")
        who = runtime_role
    completed = run_cli("migrate", "--db", owner_url, "--grant", who)
    assert completed.returncode != 0 and message in completed.stderr, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr


def test_grant_is_for_postgresql_only(tmp_path) -> None:
    completed = run_cli("migrate", "--db", f"sqlite:///{tmp_path / 'kpi.sqlite3'}", "--grant", "kpi_app")
    assert completed.returncode == 2 and "--grant 只適用於 PostgreSQL" in completed.stderr


def test_the_readme_shows_the_grants_migrate_runs() -> None:
    import re

    from metrics.store.runtime_role import runtime_grants

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("它執行的是（`kpi` 是 schema）：", 1)[1].split("```sql", 1)[1].split("```", 1)[0]
    shown = [" ".join(re.sub(r"--.*", "", statement).split()) for statement in block.split(";") if statement.strip()]
    assert shown == runtime_grants("kpi_app", "kpi")


# ---- the anchor kept in every backup: the newest rows deleted are found (B5) ----

def _delete_newest(url: str) -> None:
    """What the tables' owner can do: the guards off, the newest row deleted, the guards back (PostgreSQL)."""
    newest = "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)"
    if url.startswith("sqlite"):
        _drop_sqlite_triggers(url)
        execute(url, newest)
    else:
        execute(url, "ALTER TABLE audit_log DISABLE TRIGGER ALL", newest, "ALTER TABLE audit_log ENABLE TRIGGER ALL")


@pytest.mark.parametrize(("what", "then", "code", "phrase"), [
    ("nothing changed", [], 0, "操作紀錄驗證通過"),
    ("a row written since", ["write"], 0, "操作紀錄驗證通過"),
    ("the newest row deleted", ["delete"], 1, "先前記下的編號 6（雜湊值 {short}…）已不在資料表中：這一筆與其後的紀錄被刪除了"),
    ("the newest row deleted, its id written again", ["delete", "write"], 1,
     "先前記下的編號 6（雜湊值 {short}…）的雜湊值已不同"),
])
def test_every_backup_keeps_the_anchor_and_verify_checks_against_it(store_url: str, tmp_path, what, then, code,
                                                                    phrase) -> None:
    with Store(store_url) as store:
        fill(store)
    last_hash = rows(store_url)[-1][4]
    backup = tmp_path / "nightly.jsonl.gz"
    completed = run_cli("backup", str(backup), "--db", store_url)
    assert completed.returncode == 0, completed.stderr
    assert f"操作紀錄最後一筆：編號 6，雜湊值 {last_hash}" in completed.stdout  # the nightly log keeps it
    with gzip.open(backup, "rt", encoding="utf-8") as stream:
        trailer = json.loads(stream.read().splitlines()[-1])
    assert trailer["audit_anchor"] == {"id": 6, "row_hash": last_hash}
    completed = run_cli("verify-backup", str(backup))
    assert f"操作紀錄最後一筆：編號 6，雜湊值 {last_hash}" in completed.stdout and "環環相扣" in completed.stdout
    for step in then:
        if step == "delete":
            _delete_newest(store_url)
        else:
            with Store(store_url) as store:
                store.record([AuditEntry("甲", "登入", Outcome.ALLOWED)])
    with Store(store_url) as store:
        assert store.verify_audit_chain().intact  # the chain alone cannot tell
    completed = run_cli("audit", "--verify", "--db", store_url, "--anchor-from", str(backup))
    assert completed.returncode == code, completed.stdout + completed.stderr
    assert phrase.format(short=last_hash[:16]) in completed.stdout
    assert "以備份檔 nightly.jsonl.gz（" in completed.stdout


def test_anchor_from_is_refused_without_verify_or_with_anchor(store: Store, tmp_path) -> None:
    fill(store, 1)
    backup = tmp_path / "b.jsonl.gz"
    assert run_cli("backup", str(backup), "--db", store.url).returncode == 0
    for arguments, phrase in ((["--anchor-from", str(backup)], "--anchor-from 只能與 --verify 一起使用"),
                              (["--verify", "--anchor-from", str(backup), "--anchor", "1:" + "a" * 64],
                               "--anchor 與 --anchor-from 請擇一使用"),
                              (["--verify", "--anchor-from", str(tmp_path / "missing.gz")], "找不到備份檔")):
        completed = run_cli("audit", *arguments, "--db", store.url)
        assert completed.returncode == 2 and phrase in completed.stderr, completed.stderr
