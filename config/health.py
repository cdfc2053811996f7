"""`/healthz`: 200 when the database and the broker answer, 503 naming the one that does not."""

import logging

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from config.celery_app import app as celery_app

logger = logging.getLogger(__name__)

# A probe must answer quickly even when a service is down: one attempt, a short connect timeout.
BROKER_CONNECT_TIMEOUT = 2


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not reachable" for a probe
        logger.warning("healthz: the database does not answer", exc_info=True)
        return False


def _broker_ok() -> bool:
    try:
        with celery_app.connection_for_write(connect_timeout=BROKER_CONNECT_TIMEOUT) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_CONNECT_TIMEOUT)
        return True
    except Exception:  # any transport error means "not reachable" for a probe
        logger.warning("healthz: the broker does not answer", exc_info=True)
        return False


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    body = {name: ("ok" if ok else "unreachable") for name, ok in checks.items()}
    return JsonResponse(body, status=200 if all(checks.values()) else 503)
