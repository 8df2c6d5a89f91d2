"""A refused service call writes nothing: shared by the tests of what the service layer accepts
(test_account_inputs, test_service_inputs)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from metrics.errors import InputError
from metrics.services import Services


def written(services: Services) -> tuple:
    """Everything a refused call must leave as it was: the rows of every table, the settings and the accounts."""
    store = services.store
    return (store.row_counts(), store.settings(),
            [(account.username, account.display_name, account.email, account.roles, account.units, account.active)
             for account in store.accounts()])


def refused(services: Services, call: Callable[[], object], expected: str) -> None:
    """`call` raises an InputError saying `expected`, and nothing is written."""
    before = written(services)
    with pytest.raises(InputError) as raised:
        call()
    assert str(raised.value) == expected
    assert written(services) == before
