"""Reminders by e-mail to the units that are late (逾期) or whose 自評 was returned (退回修正): the mail server's
settings as an administrator saves them, the mails as they are written, and the sending (smtplib, STARTTLS when
set; an intranet server, no internet needed).

The server's password is never stored: it is read from the environment variable KPI_SMTP_PASSWORD of the process
that sends (the app's server, or the cron job running `python -m metrics review remind`).
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr

from metrics.services import inputs
from metrics.errors import InputError, KpiError, Problem
from metrics.store import State
from metrics.texts import TextKind, check_texts

PASSWORD_VARIABLE = "KPI_SMTP_PASSWORD"
TIMEOUT_SECONDS = 30
HOST_MAX = 253
# The settings table's keys → what the settings form calls them.
MAIL_KEYS = {"smtp_host": "郵件伺服器（SMTP）主機", "smtp_port": "連接埠", "smtp_starttls": "使用 STARTTLS 加密",
             "smtp_from": "寄件者電子郵件", "smtp_user": "登入帳號"}
REMINDED = (State.OVERDUE, State.RETURNED)


class MailFailed(KpiError):
    """The mail server could not be reached or refused the login: no mail was sent."""


@dataclass(frozen=True)
class MailSettings:
    host: str = ""
    port: int = 25
    starttls: bool = True
    sender: str = ""
    user: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)

    def values(self) -> dict[str, str]:
        return {"smtp_host": self.host, "smtp_port": str(self.port), "smtp_starttls": "是" if self.starttls else "否",
                "smtp_from": self.sender, "smtp_user": self.user}

    @classmethod
    def from_values(cls, values: Mapping[str, str]) -> MailSettings:
        port = values.get("smtp_port", "")
        return cls(values.get("smtp_host", ""), int(port) if port.isdigit() else 25,
                   values.get("smtp_starttls", "是") != "否", values.get("smtp_from", ""), values.get("smtp_user", ""))

    def text(self) -> str:
        if not self.configured:
            return "尚未設定"
        login = f"，以 {self.user} 登入（密碼取自環境變數 {PASSWORD_VARIABLE}）" if self.user else "，不登入"
        return f"{self.host}:{self.port}（{'STARTTLS' if self.starttls else '不加密'}），寄件者 {self.sender}{login}"


def check_mail_settings(host: object, port: object, starttls: object, sender: object, user: object) -> MailSettings:
    """The settings as typed, checked: every problem named with its field and value. An empty host turns
    reminders off."""
    host, sender, user = (inputs.check_text(value, label).strip() for value, label in
                          ((host, MAIL_KEYS["smtp_host"]), (sender, MAIL_KEYS["smtp_from"]),
                           (user, MAIL_KEYS["smtp_user"])))
    starttls = inputs.check_flag(starttls, MAIL_KEYS["smtp_starttls"])
    problems = []
    whole = isinstance(port, int) and not isinstance(port, bool)
    if not whole or not 1 <= port <= 65535:
        problems.append(Problem("應為 1 至 65535 的整數（通常 25、587）。", field=MAIL_KEYS["smtp_port"],
                                value=inputs.shown(port)))
    if len(host) > HOST_MAX or any(character.isspace() for character in host):
        problems.append(Problem("應為主機名稱或 IP 位址，例如 mail.hsinchu.gov.tw，不含空白。",
                                field=MAIL_KEYS["smtp_host"], value=host[:40]))
    if host and not sender:
        problems.append(Problem("設定郵件伺服器時須填寫寄件者電子郵件。", field=MAIL_KEYS["smtp_from"], value="（空白）"))
    if sender:
        try:
            inputs.check_email(sender)
        except InputError as error:
            problems += error.problems
    if problems:
        raise InputError(problems)
    check_texts([(host, TextKind.LINE, MAIL_KEYS["smtp_host"]), (sender, TextKind.LINE, MAIL_KEYS["smtp_from"]),
                 (user, TextKind.LINE, MAIL_KEYS["smtp_user"])])
    return MailSettings(host, int(port), starttls, sender, user)


@dataclass(frozen=True)
class Reminder:
    """One unit's reminder at one checkpoint: to whom, what it says; after sending, whether it went."""

    year: int
    unit: str
    checkpoint: str
    state: State
    recipients: tuple[tuple[str, str], ...]  # (name, e-mail)
    subject: str
    body: str
    sent: bool = False
    problem: str = ""

    @property
    def to_text(self) -> str:
        return "、".join(f"{name} <{email}>" for name, email in self.recipients) or "（沒有具電子郵件的填報人帳號）"


def message_of(settings: MailSettings, reminder: Reminder) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = reminder.subject
    message["From"] = formataddr(("績效指標系統", settings.sender))
    message["To"] = ", ".join(formataddr((name, email)) for name, email in reminder.recipients)
    message["Date"] = dt.datetime.now(dt.timezone.utc)
    message.set_content(reminder.body)
    return message


def send(settings: MailSettings, reminders: Sequence[Reminder]) -> list[Reminder]:
    """Each reminder with recipients sent over one connection; each comes back marked sent or with its
    problem. MailFailed when the server cannot be reached or refuses the login (then none was sent)."""
    from dataclasses import replace

    password = os.environ.get(PASSWORD_VARIABLE, "")
    where = f"{settings.host}:{settings.port}"
    try:
        connection = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    except (OSError, smtplib.SMTPException) as error:
        raise MailFailed(f"無法連線到郵件伺服器 {where}：{error}；請確認帳號管理「郵件通知」的設定與網路。") from None
    results = []
    try:
        try:
            connection.ehlo()
            if settings.starttls:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if settings.user:
                if not password:
                    raise MailFailed(f"郵件伺服器設定以 {settings.user} 登入，但環境變數 {PASSWORD_VARIABLE} 沒有密碼；"
                                     "請在執行系統的主機上設定後再寄送。")
                connection.login(settings.user, password)
        except smtplib.SMTPNotSupportedError:
            raise MailFailed(f"郵件伺服器 {where} 不支援 STARTTLS；請確認連接埠，或在設定中取消 STARTTLS。") from None
        except smtplib.SMTPAuthenticationError as error:
            raise MailFailed(f"郵件伺服器 {where} 拒絕以 {settings.user} 登入（{error.smtp_code}）；"
                             f"請確認帳號與環境變數 {PASSWORD_VARIABLE} 的密碼。") from None
        except (OSError, smtplib.SMTPException) as error:
            raise MailFailed(f"與郵件伺服器 {where} 連線時發生錯誤：{error}") from None
        for reminder in reminders:
            if not reminder.recipients:
                results.append(replace(reminder, problem="沒有具電子郵件的填報人帳號，未寄送"))
                continue
            try:
                refused = connection.send_message(message_of(settings, reminder))
            except (OSError, smtplib.SMTPException) as error:
                results.append(replace(reminder, problem=f"寄送失敗：{error}"))
                continue
            problem = "；".join(f"{address} 被拒收（{code}）" for address, (code, _) in refused.items())
            results.append(replace(reminder, sent=True, problem=problem))
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return results
