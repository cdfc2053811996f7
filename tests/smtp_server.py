"""A real SMTP server for tests and benchmarks: aiosmtpd on a free local port, in a thread of this process.

It records every message it accepts (Message-ID and recipient), counts every attempt, and answers
what the test asks: by default 250; `reply(recipient, attempt)` may return another reply instead,
such as a 4xx for the first attempts of a message and then 250, or a 5xx.
"""

from __future__ import annotations

import logging
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller

ACCEPTED = "250 2.0.0 Message accepted for delivery"
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)

# reply(recipient, attempt) -> None to accept, or the reply to give instead ("451 4.3.0 Try later").
ReplyRule = Callable[[str, int], str | None]


class RecordingHandler:
    """aiosmtpd handler: keeps (Message-ID, recipient) of each accepted message; counts all attempts."""

    def __init__(self, reply: ReplyRule | None = None) -> None:
        self.reply = reply
        self.lock = threading.Lock()
        self.accepted: list[tuple[str, str]] = []
        self.attempts: Counter[str] = Counter()  # by Message-ID, refused ones included
        self.refused: list[tuple[str, str, str]] = []  # (Message-ID, recipient, reply)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        found = _MESSAGE_ID.search(envelope.content.split(b"\r\n\r\n", 1)[0])
        message_id = found.group(1).decode() if found else ""
        recipients = list(envelope.rcpt_tos)
        with self.lock:
            self.attempts[message_id] += 1
            attempt = self.attempts[message_id]
            answer = self.reply(recipients[0], attempt) if self.reply else None
            if answer is not None:
                self.refused.extend((message_id, recipient, answer) for recipient in recipients)
                return answer
            self.accepted.extend((message_id, recipient) for recipient in recipients)
        return ACCEPTED

    # --- what the tests read ---

    def received(self) -> int:
        with self.lock:
            return len(self.accepted)

    def by_message_id(self) -> Counter[str]:
        with self.lock:
            return Counter(message_id for message_id, _ in self.accepted)

    def duplicates(self) -> int:
        """Deliveries beyond the first of each message."""
        return sum(count - 1 for count in self.by_message_id().values())


class CountingHandler:
    """The cheapest sink: counts accepted messages."""

    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.count += 1
        return ACCEPTED


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_server(handler) -> Iterator[int]:
    """Run an SMTP server with `handler` on a free port of 127.0.0.1; yields the port."""
    # aiosmtpd logs every command at INFO: thousands of lines, and time taken from the server's thread.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
