"""The walk of an upload as a test: from the selection to the store, each file's archive is opened once and its
bytes hashed once, whatever kind it is and however many steps look at it (issue 20)."""

from __future__ import annotations

import hashlib
import zipfile

import pytest
from argon2 import PasswordHasher

from catalogues import CATALOGUE, FIXTURE_PLANS
from metrics.plans.roles import load_roles
from metrics.services import Services, command_line
from metrics.intake.selection import distinct_files
from metrics.intake.sources import read_file
from metrics.store import Store
from test_sources import FILES

WALKS = {label: case for label, case in FILES.items()
         if label in ("template, one month", "template saved as CSV", "long CSV, one month", "long xlsx, two months",
                      "document log xlsx", "document log CP950 CSV", "roster", "ledger", "case log")}


class Spy:
    """Counts what is done with one file's bytes: zip archives opened to read them, SHA-256 digests of them."""

    def __init__(self, data: bytes, monkeypatch: pytest.MonkeyPatch):
        self.data = data
        self.archives = 0
        self.digests = 0
        real_init = zipfile.ZipFile.__init__
        real_sha256 = hashlib.sha256

        def init(archive: zipfile.ZipFile, file: object, mode: str = "r", *args: object, **kwargs: object) -> None:
            if mode == "r" and hasattr(file, "getvalue") and file.getvalue() == self.data:
                self.archives += 1
            real_init(archive, file, mode, *args, **kwargs)

        def sha256(content: bytes = b"", **kwargs: object) -> object:
            if bytes(content) == self.data:
                self.digests += 1
            return real_sha256(content, **kwargs)

        monkeypatch.setattr(zipfile.ZipFile, "__init__", init)
        monkeypatch.setattr(hashlib, "sha256", sha256)


@pytest.mark.parametrize(("make", "name", "kind", "expected"), WALKS.values(), ids=list(WALKS))
def test_an_upload_is_opened_once_and_hashed_once_from_selection_to_store(make, name, kind, expected, tmp_path,
                                                                          monkeypatch) -> None:
    data = make()
    digest = hashlib.sha256(data).hexdigest()
    with Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}") as store:
        services = Services(store, load_roles(FIXTURE_PLANS), hasher=PasswordHasher(time_cost=1, memory_cost=8,
                                                                                       parallelism=1))
        spy = Spy(data, monkeypatch)
        [upload], repeated = distinct_files([(name, data)])  # the page's selection
        read = read_file(upload, CATALOGUE, year=112, unit="政風處", mappings=store)
        assert read.read is not None and read.read.kind == kind and not read.problems
        [result] = services.upload(command_line("tester"), [read.stored()])
        assert (spy.archives, spy.digests) == (1 if data.startswith(b"PK") else 0, 1)
        assert repeated == []
        assert store.history()[0].sha256 == digest and result.batch_id == store.history()[0].id


def test_the_digest_given_is_the_one_stored(tmp_path) -> None:
    """The store records the intake's digest as given, and still hashes bytes handed to it directly."""
    from metrics.intake.tidy import TIDY_COLUMNS
    from metrics.intake import FileDigest
    import pandas as pd
    from decimal import Decimal

    frame = pd.DataFrame([(112, 1, "政風處", "warning_cases", Decimal(1), "a.csv", "", "E2")], columns=list(TIDY_COLUMNS))
    with Store(f"sqlite:///{tmp_path / 'kpi.sqlite3'}") as store:
        store.ingest(frame, file_name="a.csv", file_bytes=FileDigest("ab" * 32))
        store.ingest(frame.assign(value=Decimal(2)), file_name="b.csv", file_bytes=b"b")
        assert [batch.sha256 for batch in store.history()] == [hashlib.sha256(b"b").hexdigest(), "ab" * 32]


@pytest.mark.parametrize(("make", "name", "kind", "expected"), WALKS.values(), ids=list(WALKS))
def test_a_recognised_export_is_never_read_as_a_monthly_table_first(make, name, kind, expected, monkeypatch) -> None:
    """The first look decides: an export whose header row and columns are found in its first rows is not read
    whole by the monthly-table reader (and thrown away) however small it is; a monthly table still is."""
    from metrics.intake import sources

    tables_read = []
    real_read_table = sources.read_table

    def read_table(*arguments, **keywords):
        tables_read.append(arguments[1])
        return real_read_table(*arguments, **keywords)

    monkeypatch.setattr(sources, "read_table", read_table)
    [upload], _repeated = distinct_files([(name, make())])
    read = read_file(upload, CATALOGUE, year=112, unit="政風處", mappings=None)
    assert read.read is not None and read.read.kind == kind
    assert tables_read == ([name] if kind in ("template", "long") else [])
