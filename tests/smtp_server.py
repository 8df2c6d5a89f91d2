"""A tiny SMTP server for the reminder tests (aiosmtpd is not among the dependencies): EHLO, AUTH PLAIN, MAIL,
RCPT, DATA, RSET, QUIT on 127.0.0.1, in a thread; the mails it received are kept with who logged in."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    login: str = ""


@dataclass
class Mailbox:
    password: str = ""  # when set, AUTH PLAIN is offered and must be given this password
    mails: list[Received] = field(default_factory=list)
    refused_logins: int = 0


def _handler(box: Mailbox) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(line.encode() + b"\r\n")

        def handle(self) -> None:
            login, sender, recipients = "", "", []
            self.reply("220 test ESMTP")
            while True:
                raw = self.rfile.readline()
                if not raw:
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    features = ["250-test", "250-8BITMIME", "250-SMTPUTF8"]
                    if box.password:
                        features.append("250-AUTH PLAIN")
                    self.wfile.write("\r\n".join(features).encode() + b"\r\n")
                    self.reply("250 OK")
                elif verb == "AUTH":
                    _, _, rest = line.partition(" ")
                    parts = base64.b64decode(rest.split(" ", 1)[1]).split(b"\0")
                    if parts[2].decode() == box.password:
                        login = parts[1].decode()
                        self.reply("235 OK")
                    else:
                        box.refused_logins += 1
                        self.reply("535 authentication failed")
                elif verb == "MAIL":
                    if box.password and not login:
                        self.reply("530 authentication required")
                        continue
                    sender, recipients = line.split(":", 1)[1].split()[0].strip("<>"), []
                    self.reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(line.split(":", 1)[1].strip().strip("<>"))
                    self.reply("250 OK")
                elif verb == "DATA":
                    self.reply("354 go on")
                    lines = []
                    while (data := self.rfile.readline()) not in (b".\r\n", b""):
                        lines.append(data[1:] if data.startswith(b"..") else data)
                    box.mails.append(Received(sender, recipients, message_from_bytes(b"".join(lines),
                                                                                     policy=policy.default), login))
                    self.reply("250 queued")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 OK" if verb in ("RSET", "NOOP") else "502 not implemented")

    return Handler


@contextmanager
def smtp_server(password: str = "") -> Iterator[tuple[int, Mailbox]]:
    box = Mailbox(password)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(box))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], box
    finally:
        server.shutdown()
        server.server_close()
