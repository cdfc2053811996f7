"""`/healthz`: 200 when the database and the broker answer, 503 naming the one that does not.

Load balancers probe it every few seconds on every web process, so it costs two round trips and
nothing else:

- `HealthzMiddleware` comes first in MIDDLEWARE and answers the probe before any other middleware
  runs: no session is loaded, no user or membership is looked up (a probe that carries a cookie used
  to cost three queries it never used), no HTTPS redirect (load balancers probe over plain HTTP
  inside the network). The URL pattern stays, so `reverse("healthz")` and a stack without the
  middleware still answer.
- The broker is checked with one Redis client per process (`redis-py` keeps its connection in a
  pool and reconnects after a failure or a fork) answering PING, instead of a new broker connection
  per probe. The embedded filesystem transport has no server to ping; its folder is checked
  through kombu as before.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from config.celery_app import app as celery_app

logger = logging.getLogger(__name__)

# A probe must answer quickly even when a service is down: one attempt, a short connect timeout.
BROKER_CONNECT_TIMEOUT = 2
PATH = "/healthz"

_clients: dict[str, redis.Redis] = {}
_clients_lock = threading.Lock()


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not reachable" for a probe
        logger.warning("healthz: the database does not answer", exc_info=True)
        return False


def broker_client(url: str) -> redis.Redis:
    """The process's one Redis client for `url`, made on first use (thread-safe; fork-safe by redis-py)."""
    client = _clients.get(url)
    if client is None:
        with _clients_lock:
            client = _clients.get(url)
            if client is None:
                client = _clients[url] = redis.Redis.from_url(
                    url,
                    socket_connect_timeout=BROKER_CONNECT_TIMEOUT,
                    socket_timeout=BROKER_CONNECT_TIMEOUT,
                    retry_on_timeout=False,
                    client_name="healthz",
                )
    return client


def _broker_ok() -> bool:
    url = settings.CELERY_BROKER_URL
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            return bool(broker_client(url).ping())
        with celery_app.connection_for_write(connect_timeout=BROKER_CONNECT_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_CONNECT_TIMEOUT)
        return True
    except Exception:  # any transport error means "not reachable" for a probe
        logger.warning("healthz: the broker does not answer", exc_info=True)
        return False


def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: ("ok" if ok else "unreachable") for name, ok in checks.items()}
    response = JsonResponse(body, status=200 if all(checks.values()) else 503)
    add_never_cache_headers(response)
    # The middlewares after HealthzMiddleware never see this response: it carries the headers they
    # would have added that matter for a JSON body.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = _content_security_policy()
    return response


_policy: list[str] = []


def _content_security_policy() -> str:
    """The site's policy (django-csp, from settings), built once per process."""
    if not _policy:
        from csp.utils import build_policy

        _policy.append(build_policy())
    return _policy[0]


class HealthzMiddleware:
    """Answer `/healthz` before any other middleware touches the request (first in MIDDLEWARE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
