"""Fail fast, naming the service, when PostgreSQL or Redis does not answer (run by `make test`)."""

import os
import sys

import psycopg2
import redis

HOW_TO_START = {
    "PostgreSQL": "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start",
    "Redis": 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
}


def main() -> int:
    database_url = os.environ["DATABASE_URL"]
    broker_url = os.environ["CELERY_BROKER_URL"]
    failures = []
    if not database_url.startswith(("postgres://", "postgresql://")):
        failures.append(("PostgreSQL", f"DATABASE_URL must be a PostgreSQL URL for tests, not {database_url!r}"))
    else:
        # Connect to the maintenance database: the test database is created by the test run.
        try:
            admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
            psycopg2.connect(admin_url, connect_timeout=3).close()
        except psycopg2.Error as error:
            failures.append(("PostgreSQL", f"{database_url} does not answer: {error}".strip()))
    try:
        redis.Redis.from_url(broker_url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        failures.append(("Redis", f"{broker_url} does not answer: {error}"))
    for service, message in failures:
        print(f"{service}: {message}\n  start it with: {HOW_TO_START[service]}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
