"""Services: the one write layer. Every write takes the acting account, one permission check, validation and the
audit row in the same transaction; pages and the command line hold a `Services`, never the store's writes.

    core.py       Services: accounts and logins, uploads, undo, notes, plans, settings, each write audited
    accounts.py   accounts, roles and the one pure permission check (`allowed`)
    inputs.py     what the services accept besides permissions: years, units, months, fields, names, sizes
    locks.py      months locked by an approved 自評 (核定), checked inside each write's own transaction
    review.py     the performance cycle's writes over Services: submit, review, approve, return; the status
    reminders.py  reminders by e-mail to the reporters of late and returned units
    seeding.py    the plans of plans/ seeding the store, audited
    selection.py  the files of one upload once read: which the account may store, what they leave incomplete
    wording.py    the store's refusals (StoreError: a StoreProblem and its values) in people's words
    transfer_wording.py  backups, copies, restores and the audit chain's report (BackupFault, ChainBreak) in words
"""

from metrics.services import transfer_wording, wording
from metrics.services.core import Actor, LoginFailed, PermissionDenied, Services, command_line

wording.install()  # every StoreError, whichever layer catches it, is shown in these words
transfer_wording.install()  # and every refused backup and broken audit chain

__all__ = ["Actor", "LoginFailed", "PermissionDenied", "Services", "command_line"]
