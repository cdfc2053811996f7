"""Which constraint an IntegrityError violated, the same on PostgreSQL and on SQLite.

Services turn a violated constraint into a form error (a duplicate standard code, a team name taken,
an invitation created by a concurrent request). Matching the constraint's name inside the error's
text works on PostgreSQL only: SQLite names the columns of a unique constraint made of fields
("UNIQUE constraint failed: organizations_team.organization_id, organizations_team.name"), so in
the embedded mode the same race would be a 500. `violated_constraint` gives the constraint's name on
both, and services compare names, never messages.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import IntegrityError, models

_SQLITE_UNIQUE_INDEX = re.compile(r"UNIQUE constraint failed: index '(?P<name>[^']+)'")
_SQLITE_UNIQUE_COLUMNS = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (?P<name>\w+)")


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint `error` violated, or None when it names none (e.g. a foreign key).

    PostgreSQL reports the name itself (psycopg's `diag.constraint_name`). SQLite reports the name of
    a CHECK constraint and of a unique index on expressions ("index 'user_email_ci_unique'"), but only
    the columns of a unique constraint on fields: those are mapped back to the model constraint with
    exactly these columns. A field's own `unique=True` has no name in Django; both backends then
    answer PostgreSQL's name for it, "<table>_<column>_key".
    """
    cause = error.__cause__ or error
    diag = getattr(cause, "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return name
    message = str(cause)
    for pattern in (_SQLITE_UNIQUE_INDEX, _SQLITE_CHECK):
        match = pattern.search(message)
        if match:
            return match.group("name")
    match = _SQLITE_UNIQUE_COLUMNS.search(message)
    if match:
        qualified = [column.split(".", 1) for column in match.group("columns").split(", ")]
        tables = {table for table, _column in qualified}
        if len(tables) == 1:
            return _unique_constraint_on(tables.pop(), [column for _table, column in qualified])
    return None


def _unique_constraint_on(table: str, columns: list[str]) -> str | None:
    """The name of the unique constraint of the model stored in `table` made of exactly `columns`."""
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.db_table != table:
            continue
        for constraint in meta.constraints:
            if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
                if [meta.get_field(name).column for name in constraint.fields] == columns:
                    return constraint.name
        if len(columns) == 1:
            for field in meta.local_fields:
                if field.column == columns[0] and field.unique and not field.primary_key:
                    return f"{table}_{field.column}_key"
    return None
