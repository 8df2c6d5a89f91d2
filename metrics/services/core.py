"""The one way to change anything: every write takes the acting account, is checked in one place
(metrics.services.accounts.allowed) and writes its audit row in the same transaction as the change. A refusal is
recorded too. Pages and the command line call these functions; they never call the store's write methods.

Identity: a login (password, or the deployment's single sign-on matched by e-mail) starts a login session in
the store; the browser session holds only its random token. Every call resolves the token again, so a
session whose state is edited by hand cannot act as anybody else, and a session idle longer than the
setting ends.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import numbers
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from metrics.services.accounts import (MAXIMUM_PASSWORD_LENGTH, Account, Decision, PermissionDenied, Settings, allowed,
                                      password_problem, username_problem)
from metrics.plans.roles import Action, Roles
from metrics.plans.catalogue import Catalogue, Units, load_units, plans_directory
from metrics.intake.conflicts import FilesConflict, Key, find_conflicts, resolve, unresolved
from metrics.errors import InputError, KpiError, Problem
from metrics.services import inputs, locks, wording
from metrics.intake.upload import FileDigest
from metrics.names import clean_file_name
from metrics.outputs.notes import check_note
from metrics.plans.plan import Plan
from metrics.store import (AuditEntry, IngestResult, LoginAttempt, Outcome, Store, StoredAccount, StoredPlan,
                           UndoResult, format_taiwan_time, guarded)
from metrics.store.engine import Guard
from metrics.texts import TextKind, check_plan_texts, check_texts, clean_text, escaped, visible

LOCK_AFTER = 5  # failed logins in a row
LOCK_FOR = dt.timedelta(minutes=15)
# The same words for an unknown name, a wrong password and a locked account (anything else tells an outsider
# which names exist); the audit trail records which it was.
WRONG_PASSWORD = (f"帳號或密碼錯誤。同一帳號連續錯誤 {LOCK_AFTER} 次將暫時鎖定 {int(LOCK_FOR.total_seconds() // 60)} 分鐘，"
                  "鎖定期間密碼正確也無法登入；忘記密碼或需要立即解除鎖定，請洽系統管理者重設密碼。")
TOUCH_EVERY = dt.timedelta(seconds=60)  # how often a session's last activity is written (not on every rerun)
# However active, a login ends this long after it started (or after the idle setting, when that is longer): a
# token kept by a browser across reloads is worth nothing after a working day.
LOGIN_LIFETIME = dt.timedelta(hours=12)
ALLOWED, DENIED, FAILED = Outcome.ALLOWED, Outcome.DENIED, Outcome.FAILED
SYSTEM_ID = 0
# The command line's actor carries this token, made fresh in each process: nothing a browser sends can equal it.
_COMMAND_LINE_TOKEN = secrets.token_urlsafe(32)


class LoginFailed(KpiError):
    """Wrong account or password, a locked or disabled account: the message says which the person may know."""


@dataclass(frozen=True)
class Actor:
    """Who acts: an account (or nobody), through which channel, with the login session it proved itself by."""

    account: Account | None
    token: str | None = None
    channel: str = "網頁"
    ended: str = ""  # why a login is no longer valid (idle, disabled), for the page to say
    expires_at: dt.datetime | None = None  # when the login ends (unless there is activity before, when by_idle)
    by_idle: bool = True  # expires_at is the idle limit, not the end of the login's lifetime

    @property
    def label(self) -> str:
        if self.account is None:
            return "未登入"
        return self.account.shown if self.account.id != SYSTEM_ID else self.channel


SELF_GRANT = "您是系統管理者，可至「帳號管理」為自己的帳號加上所需的角色（例如「填報人」與負責單位）。"


def command_line(user: str, on_behalf: str = "") -> Actor:
    """The command line: direct access to the database is already the administrator's; every write it makes is
    recorded under the operating-system user that ran it (and the person named for, when one is)."""
    check_texts([(on_behalf, TextKind.LINE, "代理的對象（--author）")])
    channel = f"命令列（{escaped(user)}{'，代 ' + on_behalf.strip() if on_behalf.strip() else ''}）"
    return Actor(Account(SYSTEM_ID, f"命令列:{user}", channel, ("system",)), _COMMAND_LINE_TOKEN, channel=channel)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _account(stored: StoredAccount) -> Account:
    return Account(stored.id, stored.username, stored.display_name, stored.roles, stored.units, stored.email,
                   stored.active, stored.password_hash is not None)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _is_command_line(actor: Actor) -> bool:
    return actor.token == _COMMAND_LINE_TOKEN and actor.account is not None and actor.account.id == SYSTEM_ID


SETTING_KEYS = {"view_needs_login": "檢視需要登入", "idle_minutes": "閒置自動登出（分鐘）"}


class Services:
    """The write layer over one store, with the roles of the deployment."""

    def __init__(self, store: Store, roles: Roles, *, hasher: PasswordHasher | None = None,
                 clock: Callable[[], dt.datetime] = _now, units: Units | None = None):
        self.store = store
        self.roles = roles
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        self._units = units
        self._dummy_hash = self.hasher.hash("not the password of anybody")
        self._has_accounts = False  # once true, true for good: no account is ever deleted, by any server

    @property
    def units(self) -> Units:
        """The county's units an account may be given: units.toml of the catalogue the roles came from (a file,
        like the roles: no other server changes it under this one)."""
        if self._units is None:
            self._units = load_units(self.roles.directory or plans_directory())
        return self._units

    # ---- deciding ----

    def settings(self) -> Settings:
        values = self.store.settings()
        minutes = values.get("idle_minutes", "")
        return Settings(view_needs_login=values.get("view_needs_login") == "是",
                        idle_minutes=int(minutes) if minutes.isdigit() and int(minutes) > 0 else Settings().idle_minutes)

    def can(self, actor: Actor, action: Action, unit: str | None = None,
            settings: Settings | None = None) -> Decision:
        """What a page shows or hides; it decides nothing, every write checks again (`_require`)."""
        _check_actor(actor)
        inputs.check_instance(action, Action, "動作", "一個動作（metrics.plans.roles.Action）")
        inputs.check_optional_text(unit, "單位")
        if _is_command_line(actor):
            return Decision(True)
        settings = settings or self.settings()
        decision = allowed(actor.account, action, self.roles, unit=unit, settings=settings)
        if not decision.allowed and actor.account is not None and action is not Action.MANAGE_ACCOUNTS and \
                allowed(actor.account, Action.MANAGE_ACCOUNTS, self.roles, settings=settings).allowed:
            # An administrator is the one to ask: point to where they can grant it to themselves.
            return Decision(False, decision.reason.rstrip("。") + "。" + SELF_GRANT)
        return decision

    def _require(self, actor: Actor, action: Action, word: str, *, unit: str | None = None,
                 year: int | None = None, subject: str = "") -> None:
        """The one check before every write, on the account as the store has it now (roles changed or the
        account disabled by another server count at once); an Actor made by hand rather than by `actor`
        proves nothing."""
        _check_actor(actor)
        if _is_command_line(actor):
            return
        account = None
        if actor.account is not None and actor.token:
            current = self.actor(actor.token).account
            if current is not None and current.id == actor.account.id:
                account = current
        decision = allowed(account, action, self.roles, unit=unit, settings=self.settings())
        if not decision.allowed:
            # The row names who the store says is acting, never a name an unproven Actor claims.
            who = account.shown if account is not None else (
                "未登入" if actor.account is None else f"未登入（自稱 {actor.account.username}）")
            self.store.record([AuditEntry(who, word, DENIED, subject, decision.reason, unit or "", year)])
            raise PermissionDenied(decision.reason)

    @contextmanager
    def _unless_locked(self, actor: Actor, word: str, subject: str, guard: Guard) -> Iterator[None]:
        """The store write inside runs `guard` in its transaction (metrics.services.locks): a change to a month an approved
        自評 locked is rolled back, and the refusal recorded."""
        try:
            with guarded(guard):
                yield
        except locks.MonthLocked as locked:
            self.store.record([AuditEntry(actor.label, word, DENIED, subject, str(locked), locked.unit, locked.year)])
            raise

    # ---- identity ----

    def first_run(self) -> bool:
        """No account yet (asked of the store on every page run only until the first one exists)."""
        if not self._has_accounts:
            self._has_accounts = self.store.account_count() > 0
        return not self._has_accounts

    def create_first_administrator(self, username: str, display_name: str, password: str,
                                   email: str = "") -> Account:
        """The first account of a fresh install; refused once any account exists."""
        username, password = inputs.check_text(username, "帳號"), inputs.check_text(password, "密碼")
        self._check_new(username, password)
        display_name, email = inputs.check_display_name(display_name), inputs.check_email(email)
        _check_account_texts(display_name=display_name, email=email)
        stored = self.store.add_account(
            username.strip(), display_name=display_name.strip(), email=email.strip(), roles=("administrator",),
            units=(), password_hash=self.hasher.hash(password), only_if_none=True,
            audit=[AuditEntry(f"{display_name.strip()}（{username.strip()}）" if display_name.strip() else username.strip(),
                              "建立帳號", ALLOWED, username.strip(), "首次啟動時建立的第一位系統管理者")])
        return _account(stored)

    def _check_new(self, username: str, password: str | None) -> None:
        problems = [problem for problem in (username_problem(username.strip()),
                                            password_problem(password, username) if password is not None else None)
                    if problem]
        if problems:
            raise InputError([Problem(problem) for problem in problems])

    def login(self, username: str, password: str) -> tuple[str, Account]:
        """A new login session for a password login; LoginFailed says why not (without telling which of account
        and password was wrong, or that the account is locked); lock-out after LOCK_AFTER failures in a row.

        Each attempt is counted as failed before its password is checked (metrics.store.Store.reserve_login), so
        parallel attempts cannot all be checked; an unknown name and a locked account get a check against a
        dummy hash, so every answer costs the same."""
        inputs.check_text(username, "帳號")
        inputs.check_text(password, "密碼")
        attempt = self.store.reserve_login(username, lock_after=LOCK_AFTER, lock_for=LOCK_FOR, now=self.clock())
        stored = attempt.account
        if not attempt.number:
            self._matches(self._dummy_hash, password)
            if stored is None or stored.password_hash is None:
                # What was typed is not recorded: people type their password into the account field.
                entry = AuditEntry("（不存在的帳號）", "登入", FAILED, "", "帳號或密碼錯誤")
            else:
                entry = AuditEntry(_account(stored).shown, "登入", DENIED, "",
                                   f"帳號暫時鎖定至 {format_taiwan_time(stored.locked_until)}，未檢查密碼")
            self.store.record([entry])
            raise LoginFailed(WRONG_PASSWORD)
        if not self._matches(stored.password_hash, password):
            detail = "密碼錯誤" if attempt.number < LOCK_AFTER else (
                f"密碼錯誤，已連續 {attempt.number} 次，帳號鎖定至 {format_taiwan_time(attempt.locked_until)}")
            self.store.record([AuditEntry(_account(stored).shown, "登入", FAILED, "", detail)])
            raise LoginFailed(WRONG_PASSWORD)
        if not stored.active:
            self.store.take_back_login(attempt, audit=[AuditEntry(_account(stored).shown, "登入", DENIED, "", "帳號已停用")])
            raise LoginFailed("此帳號已停用，請洽系統管理者。")
        started = self._start(stored, "密碼", attempt)
        if self.hasher.check_needs_rehash(stored.password_hash):
            self.store.update_account(stored.id, password_hash=self.hasher.hash(password))
        return started

    def _matches(self, password_hash: str, password: str) -> bool:
        if len(password) > MAXIMUM_PASSWORD_LENGTH:
            return False  # no stored password is that long; not hashed, for a known and an unknown name alike
        try:
            return self.hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def login_by_email(self, email: str, method: str = "單一登入") -> tuple[str, Account]:
        """A login the deployment's identity provider vouched for, matched to an account by e-mail."""
        inputs.check_text(email, "電子郵件")
        inputs.check_text(method, "登入方式")
        stored = self.store.account(email=email) if email else None
        if stored is None or not stored.active:
            self.store.record([AuditEntry(escaped(email) or "（無電子郵件）", "登入", DENIED, "", f"{method}：沒有對應的帳號")])
            raise LoginFailed(f"{method}的電子郵件 {email or '（無）'} 沒有對應的啟用帳號；請系統管理者在帳號中填入此電子郵件。")
        return self._start(stored, method)

    def _start(self, stored: StoredAccount, method: str, attempt: LoginAttempt | None = None) -> tuple[str, Account]:
        token = secrets.token_urlsafe(32)
        shown = _account(stored).shown
        if not self.store.start_session(
                stored.id, _token_hash(token), method, attempt=attempt,
                audit=lambda started: [AuditEntry(shown, "登入", ALLOWED, "", f"以{method}登入")] if started else
                [AuditEntry(shown, "登入", DENIED, "", "檢查密碼期間密碼已被重設或帳號已停用")]):
            raise LoginFailed(WRONG_PASSWORD)
        return token, _account(stored)

    def actor(self, token: str | None, *, touch: bool = True) -> Actor:
        """The account a browser session's token proves, or nobody (with why, when a login just ended).
        `touch=False` asks without counting it as activity (a check made by a timer, not by the person)."""
        if not token or not isinstance(token, str):  # anything but a token of ours proves nobody
            return Actor(None)
        found = self.store.session(_token_hash(token))
        if found is None:
            return Actor(None)
        stored, last_seen, ended, started = found
        if ended is not None:
            return Actor(None, ended="已登出")
        if not stored.active:
            self.store.end_session(_token_hash(token))
            return Actor(None, ended="此帳號已停用，已自動登出")
        idle = self.settings().idle_minutes
        now = self.clock()
        lifetime = max(LOGIN_LIFETIME, dt.timedelta(minutes=idle))
        if now - started > lifetime:
            limit = f"{LOGIN_LIFETIME // dt.timedelta(hours=1)} 小時" if lifetime == LOGIN_LIFETIME else f"{idle} 分鐘"
            self.store.end_session(_token_hash(token), audit=[AuditEntry(_account(stored).shown, "登出", ALLOWED, "",
                                                                          f"登入超過 {limit}")])
            return Actor(None, ended=f"登入已超過 {limit}，已自動登出，請重新登入")
        if now - last_seen > dt.timedelta(minutes=idle):
            self.store.end_session(_token_hash(token), audit=[AuditEntry(_account(stored).shown, "登出", ALLOWED, "",
                                                                          f"閒置超過 {idle} 分鐘")])
            return Actor(None, ended=f"閒置超過 {idle} 分鐘，已自動登出，請重新登入")
        if touch and now - last_seen > TOUCH_EVERY:
            self.store.touch_session(_token_hash(token))
            last_seen = now
        idle_end, end = last_seen + dt.timedelta(minutes=idle), started + lifetime
        return Actor(_account(stored), token, expires_at=min(idle_end, end), by_idle=idle_end <= end)

    def logout(self, actor: Actor) -> None:
        _check_actor(actor)
        if actor.token and isinstance(actor.token, str):
            self.store.end_session(_token_hash(actor.token), audit=[AuditEntry(actor.label, "登出", ALLOWED)])

    # ---- accounts and settings (administrators) ----

    def add_account(self, actor: Actor, username: str, *, display_name: str, roles: Sequence[str],
                    units: Sequence[str] = (), password: str | None = None, email: str = "") -> Account:
        username = inputs.check_text(username, "帳號")
        self._require(actor, Action.MANAGE_ACCOUNTS, "建立帳號", subject=username)
        password = inputs.check_optional_text(password, "密碼")
        self._check_new(username, password)
        roles = inputs.check_names(roles, "角色", len(self.roles.roles))
        display_name, email = inputs.check_display_name(display_name), inputs.check_email(email)
        units = inputs.check_units(units, self.units)
        _check_account_texts(display_name=display_name, email=email, units=units)
        self._check_roles(roles, units, password is not None or bool(email), email=email)
        stored = self.store.add_account(
            username.strip(), display_name=display_name, email=email, roles=list(roles),
            units=list(units), password_hash=self.hasher.hash(password) if password else None,
            audit=[AuditEntry(actor.label, "建立帳號", ALLOWED, username.strip(),
                              f"角色：{self.roles.labels(roles)}；單位：{'、'.join(units) or '—'}")])
        return _account(stored)

    def _check_roles(self, roles: Sequence[str], units: Sequence[str], can_log_in: bool, *, email: str = "",
                     account_id: int | None = None) -> None:
        problems = [f"角色「{role}」不存在（可用：{'、'.join(self.roles.roles)}）" for role in roles
                    if role not in self.roles.roles]
        if not roles:
            problems.append("請至少指定一個角色")
        if any(self.roles.roles[role].units_only for role in roles if role in self.roles.roles) and not units:
            problems.append("填報人須指定負責的單位")
        if not can_log_in:
            problems.append("請設定密碼，或填寫單一登入用的電子郵件")
        holder = self.store.account(email=email) if email.strip() else None
        if holder is not None and holder.id != account_id:  # single sign-on must find exactly one account
            problems.append(f"電子郵件 {email.strip()} 已用於帳號 {holder.username}，同一個電子郵件只能屬於一個帳號")
        if problems:
            raise InputError([Problem(problem) for problem in problems])

    def _keep_an_administrator(self, account_id: int, *, roles: Sequence[str] | None = None,
                               active: bool | None = None) -> Callable[[Sequence[StoredAccount]], None]:
        """The check, run by the store on the accounts as they are once the write lock is held (two administrators
        disabling each other at the same moment must not both succeed), that refuses a change taking away the last
        active administrator (nobody could manage accounts any more)."""
        def manages(names: Sequence[str]) -> bool:
            return any(Action.MANAGE_ACCOUNTS in self.roles.roles[name].can for name in names if name in self.roles.roles)

        def check(accounts: Sequence[StoredAccount]) -> None:
            target = next((stored for stored in accounts if stored.id == account_id), None)
            if target is None or not (target.active and manages(target.roles)):
                return
            remaining = [stored for stored in accounts
                         if (stored.active if stored.id != account_id or active is None else active)
                         and manages(stored.roles if stored.id != account_id or roles is None else roles)]
            if not remaining:
                raise InputError("至少要保留一位啟用中的系統管理者；請先將另一個帳號設為系統管理者，再變更此帳號。")

        return check

    def _target(self, username: str) -> StoredAccount:
        inputs.check_text(username, "帳號")
        stored = self.store.account(username=username)
        if stored is None:
            raise InputError(f"找不到帳號「{username}」")
        return stored

    def update_account(self, actor: Actor, username: str, *, roles: Sequence[str] | None = None,
                       units: Sequence[str] | None = None, display_name: str | None = None,
                       email: str | None = None) -> None:
        username = inputs.check_text(username, "帳號")
        self._require(actor, Action.MANAGE_ACCOUNTS, "修改帳號", subject=username)
        stored = self._target(username)
        values = {name: check(value) for name, value, check in (
            ("roles", roles, lambda names: inputs.check_names(names, "角色", len(self.roles.roles))),
            ("units", units, lambda names: inputs.check_units(names, self.units)),
            ("display_name", display_name, inputs.check_display_name), ("email", email, inputs.check_email))
            if value is not None}
        _check_account_texts(display_name=values.get("display_name", ""), email=values.get("email", ""),
                             units=values.get("units", ()))
        self._check_roles(values.get("roles", stored.roles), values.get("units", stored.units),
                          stored.password_hash is not None or bool(values.get("email", stored.email)),
                          email=values.get("email", stored.email), account_id=stored.id)
        labels = {"roles": "角色", "units": "單位", "display_name": "姓名", "email": "電子郵件"}
        changes = [f"{labels[name]}：{_listed(getattr(stored, name))} → {_listed(value)}"
                   for name, value in values.items() if tuple(value) != tuple(getattr(stored, name))
                   or isinstance(value, str) and value != getattr(stored, name)]
        self.store.update_account(stored.id, audit=[AuditEntry(actor.label, "修改帳號", ALLOWED, stored.username,
                                                               "；".join(changes) or "無變更")],
                                  check=self._keep_an_administrator(stored.id, roles=values["roles"])
                                  if "roles" in values else None, **values)

    def set_active(self, actor: Actor, username: str, active: bool) -> None:
        username, active = inputs.check_text(username, "帳號"), inputs.check_flag(active, "啟用")
        word = "啟用帳號" if active else "停用帳號"
        self._require(actor, Action.MANAGE_ACCOUNTS, word, subject=username)
        stored = self._target(username)
        if not active and actor.account is not None and stored.id == actor.account.id:
            raise InputError("不能停用自己目前登入的帳號。")
        self.store.update_account(stored.id, active=active, audit=[AuditEntry(actor.label, word, ALLOWED,
                                                                              stored.username)],
                                  check=None if active else self._keep_an_administrator(stored.id, active=False))
        if not active:
            self.store.end_sessions_of(stored.id)

    def reset_password(self, actor: Actor, username: str, password: str) -> None:
        username, password = inputs.check_text(username, "帳號"), inputs.check_text(password, "密碼")
        self._require(actor, Action.MANAGE_ACCOUNTS, "重設密碼", subject=username)
        stored = self._target(username)
        problem = password_problem(password, stored.username)
        if problem:
            raise InputError(problem)
        self.store.update_account(stored.id, password_hash=self.hasher.hash(password), failed_logins=0, locked_until=None,
                                  audit=[AuditEntry(actor.label, "重設密碼", ALLOWED, stored.username)])
        self.store.end_sessions_of(stored.id)

    def save_settings(self, actor: Actor, *, view_needs_login: bool, idle_minutes: int) -> None:
        self._require(actor, Action.MANAGE_SETTINGS, "系統設定", subject="系統設定")
        view_needs_login = inputs.check_flag(view_needs_login, SETTING_KEYS["view_needs_login"])
        whole = isinstance(idle_minutes, numbers.Integral) and not isinstance(idle_minutes, bool)
        if not whole or not 1 <= idle_minutes <= 24 * 60:
            raise InputError(Problem(f"「{inputs.shown(idle_minutes)}」不是可用的分鐘數：應為 1 至 1,440 的整數。",
                                     field=SETTING_KEYS["idle_minutes"], value=inputs.shown(idle_minutes)))
        idle_minutes = int(idle_minutes)
        before = self.settings()
        changes = []
        if before.view_needs_login != view_needs_login:
            changes.append(f"檢視需要登入：{_yes(before.view_needs_login)} → {_yes(view_needs_login)}")
        if before.idle_minutes != idle_minutes:
            changes.append(f"閒置自動登出：{before.idle_minutes} → {idle_minutes} 分鐘")
        self.store.save_settings({"view_needs_login": _yes(view_needs_login), "idle_minutes": str(idle_minutes)},
                                 audit=[AuditEntry(actor.label, "系統設定", ALLOWED, "系統設定",
                                                   "；".join(changes) or "無變更")])

    # ---- figures ----

    def upload(self, actor: Actor, files: Sequence[tuple[pd.DataFrame, str, FileDigest | bytes]],
               choices: Mapping[Key, int] | None = None) -> list[IngestResult]:
        """Each file as one batch, all in one transaction; every (year, unit) in them must be the actor's to report.

        Files that give different values for the same month and field are refused (FilesConflict) unless
        `choices` says, for each such key, which file's value is kept (the file's position in `files`): the
        others' values for that key are left out and the choice is written in their audit rows."""
        _check_files(files)
        if choices is not None:
            inputs.check_instance(choices, Mapping, "檔案的選擇", "「數字 → 採用的檔案」的表格")
        periods = sorted({(int(year), str(unit)) for frame, _, _ in files
                          for year, unit in zip(frame["year"], frame["unit"])})
        if not periods:  # nothing to store, nothing written: the store is not touched
            return [_worded(IngestResult(None, True, 0, 0, 0, None, clean_file_name(name).text)) for _, name, _ in files]
        for year, unit in periods:
            self._require(actor, Action.UPLOAD, "上傳", unit=unit, year=year,
                          subject="、".join(f"「{clean_file_name(name).text}」" for _, name, _ in files))
        names = [clean_file_name(name).text for _, name, _ in files]
        conflicts = find_conflicts([(name, frame) for name, (frame, _, _) in zip(names, files)])
        choices = dict(choices or {})
        open_conflicts = unresolved(conflicts, choices)
        if open_conflicts:
            raise FilesConflict(open_conflicts, self.store.field_names)
        frames = resolve([frame for frame, _, _ in files], conflicts, choices)
        chosen = {position: [conflict.choice_text(choices[conflict.key], self.store.field_names)
                             for conflict in conflicts if position in conflict.files]
                  for position in range(len(files))}
        results = self._ingest(actor, [(frame, name, data) for frame, (_, name, data) in zip(frames, files)], "上傳",
                               chosen, [frame for frame, _, _ in files])
        left_out = {position: sum(1 for conflict in conflicts if position in conflict.files
                                  and choices[conflict.key] != position) for position in range(len(files))}
        return [replace(result, message=result.message + f"（另有 {left_out[position]:,} 個數字依您的選擇以其他檔案為準，"
                                                          "已記入操作紀錄）") if left_out[position] else result
                for position, result in enumerate(results)]

    def _ingest(self, actor: Actor, files: Sequence[tuple[pd.DataFrame, str, FileDigest | bytes]], word: str,
                chosen: Mapping[int, Sequence[str]] | None = None,
                read: Sequence[pd.DataFrame] | None = None) -> list[IngestResult]:
        """read: the frames as read, when a choice left values out of `files` (their periods name the audit rows)."""
        def audit(results: list[IngestResult]) -> list[AuditEntry]:
            entries = []
            for position, ((stored, name, _), result) in enumerate(zip(files, results)):
                frame = read[position] if read is not None else stored
                file_periods = sorted({(int(year), str(unit)) for year, unit in zip(frame["year"], frame["unit"])})
                batch = f"第 {result.batch_id} 批" if result.batch_id else "（未建立批次）"
                subject = f"「{clean_file_name(name).text}」{batch}"
                lines = wording.changes(result)
                detail = wording.ingested(result) + ("；" + "；".join(lines) if lines else "")
                choices = (chosen or {}).get(position)
                if choices:
                    detail += "；同時上傳的檔案數值不同，使用者選擇：" + "；".join(choices)
                # One row per (year, unit) the file concerns, so the trail filtered by unit finds it.
                entries += [AuditEntry(actor.label, word, ALLOWED, subject, detail, unit, year)
                            for year, unit in file_periods or [(None, "")]]
            return entries

        with self._unless_locked(actor, word, "、".join(f"「{clean_file_name(name).text}」" for _, name, _ in files),
                                 locks.upload_guard(self.roles)):
            return [_worded(result) for result in self.store.ingest_many(list(files), uploader=actor.label, audit=audit)]

    def load_sample(self, actor: Actor, catalogue: Catalogue,
                    files: Sequence[tuple[pd.DataFrame, str, bytes]]) -> list[IngestResult]:
        """The sample plans and figures into the store, to practise with (an administrator's decision: they are
        several units' figures at once)."""
        from metrics.services.seeding import seed_store

        self._require(actor, Action.MANAGE_SETTINGS, "載入範例資料", subject="範例資料")
        inputs.check_instance(catalogue, Catalogue, "計畫目錄", "計畫目錄（metrics.plans.catalogue.Catalogue）")
        _check_files(files)
        seed_store(self.store, catalogue, samples=True)
        return self._ingest(actor, files, "載入範例資料")

    def undo(self, actor: Actor, batch_id: int) -> UndoResult:
        _check_actor(actor)
        batch_id = inputs.check_integer(batch_id, "批次編號")
        batch = self.store.batch(batch_id)
        for year, unit in batch.periods or ((None, ""),):
            self._require(actor, Action.UNDO, "復原", unit=unit or None, year=year,
                          subject=f"第 {batch_id} 批「{batch.file_name}」")
        with self._unless_locked(actor, "復原", f"第 {batch_id} 批「{batch.file_name}」",
                                 locks.undo_guard(self.roles, batch_id)):
            result = self.store.undo(batch_id, user=actor.label, audit=lambda result: [AuditEntry(
                actor.label, "復原", ALLOWED, f"第 {batch_id} 批「{batch.file_name}」", wording.undone(result), unit, year)
                for year, unit in batch.periods or [(None, "")]])
        return replace(result, message=wording.undone(result))

    def save_mapping(self, actor: Actor, source: str, signature: str, mapping: dict, *, year: int, unit: str) -> None:
        """A column mapping is part of uploading that unit's figures. Its values are the file's own headers, kept
        as they are so that the next file with the same headers matches; the audit row quotes them escaped."""
        year, unit = _period(year, unit)
        inputs.check_text(source, "資料種類")
        self._require(actor, Action.UPLOAD, "欄位對應", unit=unit, year=year, subject=source)
        inputs.planned(self.store, year, unit)
        inputs.check_mapping(source, signature, mapping)
        self.store.save_mapping(source, signature, mapping, year=year, unit=unit, audit=[AuditEntry(
            actor.label, "欄位對應", ALLOWED, source, "；".join(f"{key}＝{escaped(value or '（無）')}"
                                                               for key, value in mapping.items()), unit, year)])

    def mappings_for(self, actor: Actor) -> "ActorMappings":
        """The store's column mappings as metrics.intake.sources reads and saves them, every save as `actor`."""
        return ActorMappings(self, actor)

    def save_note(self, actor: Actor, year: int, unit: str, month: int, indicator_id: str, reason: str,
                  action: str) -> str:
        """Saves the note cleaned (metrics.texts, TextKind.NOTE); returns what the cleaning changed, to tell the
        person ('' when the texts were kept as typed)."""
        year, unit = _period(year, unit)
        month, indicator_id = inputs.check_integer(month, "月份"), inputs.check_text(indicator_id, "指標")
        reason, action = inputs.check_text(reason, "落後原因"), inputs.check_text(action, "改進措施")
        subject = f"{year}年{month}月 指標 {escaped(indicator_id)}"
        self._require(actor, Action.WRITE_NOTE, "落後說明", unit=unit, year=year, subject=subject)
        inputs.check_month(month)
        inputs.check_indicator(inputs.planned(self.store, year, unit), indicator_id)
        cleaned = [clean_text(reason, TextKind.NOTE, "落後原因"), clean_text(action, TextKind.NOTE, "改進措施")]
        reason, action = (text.text for text in cleaned)
        check_note(reason, action)
        before = self.store.notes(year, unit, month).get(indicator_id)
        # A note saved before the cleaning rule may hold anything: the audit row quotes it as it can be shown.
        old_reason, old_action = (visible(before.reason), visible(before.action)) if before else ("", "")
        changes = [f"{label}：「{old}」→「{new.strip()}」" for label, old, new in
                   (("落後原因", old_reason, reason), ("改進措施", old_action, action)) if old != new.strip()]
        with self._unless_locked(actor, "落後說明", subject, locks.note_guard(self.roles, year, unit, month)):
            self.store.save_note(year, unit, month, indicator_id, reason, action, author=actor.label,
                                 audit=[AuditEntry(actor.label, "落後說明", ALLOWED, subject, "；".join(changes) or "無變更",
                                                   unit, year)])
        return "".join(text.notice() for text in cleaned)

    # ---- scenarios and plans (planners) ----

    def save_scenario(self, actor: Actor, year: int, unit: str, name: str, payload: dict, *,
                      overwrite: bool = False) -> None:
        """Save a what-if scenario; an existing one of the same name is replaced only when `overwrite` says so."""
        year, unit = _period(year, unit)
        overwrite = inputs.check_flag(overwrite, "覆蓋既有情境")
        self._require(actor, Action.SAVE_SCENARIO, "儲存情境", unit=unit, year=year,
                      subject=f"情境「{escaped(inputs.check_scenario_name(name))}」")
        inputs.check_scenario(inputs.planned(self.store, year, unit), name, payload)
        check_texts([(name.strip(), TextKind.LINE, "情境名稱")])
        exists = name.strip() in self.store.scenarios(year, unit)
        if exists and not overwrite:
            raise InputError(f"已有名為「{name.strip()}」的情境；請確認要覆蓋，或換一個名稱。")
        detail = (f"覆蓋既有情境：{_scenario_text(self.store.load_scenario(year, unit, name.strip()))} → "
                  f"{_scenario_text(payload)}" if exists else f"新增：{_scenario_text(payload)}")
        self.store.save_scenario(year, unit, name, payload, audit=[AuditEntry(
            actor.label, "儲存情境", ALLOWED, f"情境「{name.strip()}」", detail, unit, year)])

    def delete_scenario(self, actor: Actor, year: int, unit: str, name: str) -> None:
        # The name is one already stored (perhaps before the cleaning rule): found as it is, quoted escaped.
        year, unit = _period(year, unit)
        self._require(actor, Action.DELETE_SCENARIO, "刪除情境", unit=unit, year=year,
                      subject=f"情境「{escaped(inputs.check_scenario_name(name))}」")
        try:
            before = _scenario_text(self.store.load_scenario(year, unit, name))
        except KpiError:
            before = ""

        def audit(deleted) -> list[AuditEntry]:  # in the deleting transaction: a refusal here deletes nothing
            if not deleted.rowcount:
                raise InputError(Problem(f"找不到 {unit} {year} 年度名為「{escaped(name.strip())}」的情境，可能已被刪除；"
                                         "請重新整理頁面後再選擇。", field="情境名稱", value=name.strip()))
            return [AuditEntry(actor.label, "刪除情境", ALLOWED, f"情境「{escaped(name)}」",
                               f"刪除前：{before}" if before else "", unit, year)]

        self.store.delete_scenario(year, unit, name, audit=audit)

    def save_plan(self, actor: Actor, catalogue: Catalogue, plan: Plan, *, note: str = "",
                  origin: str = "系統內編修") -> StoredPlan:
        from metrics.plans.planning import save_plan

        inputs.check_instance(plan, Plan, "計畫", "一份計畫（metrics.plans.plan.Plan）")
        inputs.check_instance(catalogue, Catalogue, "計畫目錄", "計畫目錄（metrics.plans.catalogue.Catalogue）")
        note, origin = inputs.check_text(note, "修改說明"), inputs.check_text(origin, "計畫來源")
        self._require(actor, Action.EDIT_PLAN, "計畫版本", unit=plan.unit, year=plan.year,
                      subject=f"{escaped(plan.label)}計畫")
        inputs.check_plan_year(plan.year)
        check_plan_texts(plan)
        check_texts([(note, TextKind.LINE, "修改說明")])
        with self._unless_locked(actor, "計畫版本", f"{escaped(plan.label)}計畫",
                                 locks.plan_guard(self.roles, plan.year, plan.unit)):
            return save_plan(self.store, catalogue, plan, author=actor.label, note=note, origin=origin,
                             audit=lambda stored: [AuditEntry(actor.label, "計畫版本", ALLOWED,
                                                              f"{plan.label}計畫第 {stored.number} 版",
                                                              "；".join(stored.changes) or note, plan.unit, plan.year)])

    def import_plan(self, actor: Actor, catalogue: Catalogue, text: str, *, note: str = "",
                    origin: str = "") -> StoredPlan:
        from metrics.plans.catalogue import parse_plan

        text, note, origin = (inputs.check_text(text, "計畫檔內容"), inputs.check_text(note, "修改說明"),
                              inputs.check_text(origin, "計畫來源"))
        inputs.check_instance(catalogue, Catalogue, "計畫目錄", "計畫目錄（metrics.plans.catalogue.Catalogue）")
        plan = parse_plan(text, catalogue, origin=origin or "上傳的計畫檔")
        return self.save_plan(actor, catalogue, plan, note=note, origin=origin or "上傳的計畫檔")


@dataclass(frozen=True)
class ActorMappings:
    """metrics.intake.sources.MappingStore for one acting account: reads from the store, saves through the checks."""

    services: Services
    actor: Actor

    def load_mapping(self, source: str, signature: str, *, year: int, unit: str) -> dict | None:
        return self.services.store.load_mapping(source, signature, year=year, unit=unit)

    def save_mapping(self, source: str, signature: str, mapping: dict, *, year: int, unit: str) -> None:
        self.services.save_mapping(self.actor, source, signature, mapping, year=year, unit=unit)


def _check_actor(actor: object) -> None:
    inputs.check_instance(actor, Actor, "操作者", "登入後取得的操作者（Services.actor）或命令列（command_line）")


def _period(year: object, unit: object) -> tuple[int, str]:
    """The year and unit a write concerns, as types (whether a plan exists is checked after the permission)."""
    return inputs.check_integer(year, "年度"), inputs.check_text(unit, "單位")


def _check_files(files: object) -> None:
    """Files as the readers give them: (the figures, the file's name, its digest or bytes) each."""
    if isinstance(files, (str, bytes)) or not isinstance(files, Sequence):
        raise InputError(Problem(f"應為檔案的清單，收到的是 {type(files).__name__}。", field="上傳檔案",
                                 value=type(files).__name__))
    for position, item in enumerate(files, start=1):
        if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], pd.DataFrame)
                and isinstance(item[1], str) and isinstance(item[2], (FileDigest, bytes, bytearray, memoryview))):
            raise InputError(Problem("應為（讀出的數字表、檔名、檔案內容）。", field=f"上傳檔案第 {position} 個",
                                     value=inputs.shown(type(item).__name__)))


def _check_account_texts(*, display_name: str = "", email: str = "", units: Sequence[str] = ()) -> None:
    check_texts([(display_name.strip(), TextKind.LINE, "姓名"), (email.strip(), TextKind.LINE, "電子郵件"),
                 *((str(unit), TextKind.LINE, "負責單位") for unit in units)])


def _listed(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(map(str, value)) or "—"
    return str(value) or "—"


def _yes(value: bool) -> str:
    return "是" if value else "否"


def _scenario_text(payload: dict) -> str:
    targets = "、".join(f"指標 {key} 目標 {value}" for key, value in dict(payload.get("targets") or {}).items())
    weights = "、".join(f"指標 {key} 權重 {value}" for key, value in dict(payload.get("weights") or {}).items())
    additions = f"假設增加 {len(payload.get('additions') or [])} 筆" if payload.get("additions") else ""
    return "；".join(part for part in (targets, weights, additions) if part) or "與計畫相同"


__all__ = ["Actor", "LoginFailed", "PermissionDenied", "Services", "command_line"]


def _worded(result: IngestResult) -> IngestResult:
    return replace(result, message=wording.ingested(result))
