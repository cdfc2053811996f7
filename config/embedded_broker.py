"""Kombu's filesystem transport for the embedded mode, tuned so a worker stops promptly.

Celery's worker loop for transports like this one waits for messages in slices of 2 s, checks for a
shutdown request only between slices, and runs one more slice after it sees one: a worker told to
stop (Ctrl-C under honcho) lingered up to 4.5 s, close to the 5 s after which honcho kills it.
Shorter slices make it stop in about a second; polling the folder costs nothing.
"""

from kombu.transport import filesystem

MAX_WAIT_SECONDS = 0.5


class Transport(filesystem.Transport):
    def drain_events(self, connection, timeout=None):
        if timeout is not None:
            timeout = min(timeout, MAX_WAIT_SECONDS)
        return super().drain_events(connection, timeout=timeout)
