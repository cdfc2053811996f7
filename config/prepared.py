"""Querysets built and compiled once per process, then run with new ids: `@prepared`.

Most of what a learner page spends on a query is not in the database: it is Django building the
queryset (every `.filter()` resolves its lookups and joins) and compiling it to SQL, again on every
request, for queries whose shape never changes, only the ids in them. A function decorated with
`@prepared` returns such a queryset from integer ids passed as keyword arguments. The first call in
the process builds it with sentinel ids, compiles it, and remembers where each sentinel lands among
the SQL's parameters; every call then executes that SQL with the real ids in those places and turns
the rows into what the queryset would have given (model instances with their `select_related`
objects and annotations, or `values_list()` tuples), through the compiler's own converters.

What may be prepared: a queryset whose SQL depends only on the shape of the code, never on the
values (no `__in` with a list, no `if` on an argument inside the function); ids that go straight into
lookups (integers; `None` is refused because SQL spells `IS NULL` differently); no `prefetch_related`,
`only`/`defer` is fine. A call with other argument names, or a sentinel that does not come out in
the parameters, raises instead of running the wrong SQL. Tests (tests/config/test_prepared.py) check
that prepared and plain querysets give the same results.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import update_wrapper
from typing import Any

from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable, get_related_populators

# Far outside any id a table will hold: a parameter equal to one of these is an argument's place.
_SENTINEL_BASE = -7_340_032_000_000


@dataclass(frozen=True)
class _Compiled:
    names: tuple[str, ...]
    db: str
    sql: str
    slots: tuple[tuple[bool, Any], ...]  # (True, argument name) or (False, constant parameter)
    compiler: Any
    converters: dict
    rows_are_tuples: bool
    model_parts: tuple | None  # (model, start, end, init_list, populators, annotation_col_map)


class PreparedQuery:
    def __init__(self, build: Callable[..., QuerySet]) -> None:
        self._build = build
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()
        update_wrapper(self, build)

    def queryset(self, **ids: int) -> QuerySet:
        """The plain queryset, built as the function builds it (for tests and for reading it)."""
        return self._build(**ids)

    def _compile(self, names: tuple[str, ...]) -> _Compiled:
        sentinels = {name: _SENTINEL_BASE - number for number, name in enumerate(names)}
        queryset = self._build(**sentinels)
        if queryset._prefetch_related_lookups:
            raise ValueError(f"{self.__name__}: prefetch_related cannot be prepared")
        rows_are_tuples = issubclass(queryset._iterable_class, ValuesListIterable)
        if not rows_are_tuples and queryset._iterable_class.__name__ != "ModelIterable":
            raise ValueError(f"{self.__name__}: only model rows and values_list() tuples can be prepared")
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        by_value = {value: name for name, value in sentinels.items()}
        slots = tuple(
            (True, by_value[param]) if type(param) is int and param in by_value else (False, param)
            for param in params
        )
        placed = {name for is_slot, name in slots if is_slot}
        if placed != set(names):
            raise ValueError(f"{self.__name__}: arguments {sorted(set(names) - placed)} are not plain parameters")
        select = compiler.select
        converters = compiler.get_converters([expression for expression, _, _ in select])
        model_parts = None
        if not rows_are_tuples:
            klass_info = compiler.klass_info
            start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
            model_parts = (
                klass_info["model"],
                start,
                end,
                [column[0].target.attname for column in select[start:end]],
                get_related_populators(klass_info, select, queryset.db),
                dict(compiler.annotation_col_map or {}),
            )
        return _Compiled(
            names=names,
            db=queryset.db,
            sql=sql,
            slots=slots,
            compiler=compiler,
            converters=converters,
            rows_are_tuples=rows_are_tuples,
            model_parts=model_parts,
        )

    def __call__(self, **ids: int) -> list:
        for name, value in ids.items():
            if type(value) is not int:
                raise TypeError(f"{self.__name__}: {name} must be an int id, not {value!r}")
        names = tuple(sorted(ids))
        compiled = self._compiled
        if compiled is None or compiled.names != names:
            with self._lock:
                compiled = self._compiled = self._compile(names)
        args = [ids[value] if is_slot else value for is_slot, value in compiled.slots]
        with connections[compiled.db].cursor() as cursor:
            cursor.execute(compiled.sql, args)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [tuple(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)]
        if compiled.rows_are_tuples:
            return [tuple(row) for row in rows]
        model, start, end, init_list, populators, annotation_col_map = compiled.model_parts
        objects = []
        for row in rows:
            obj = model.from_db(compiled.db, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for attname, position in annotation_col_map.items():
                setattr(obj, attname, row[position])
            objects.append(obj)
        return objects


def prepared(build: Callable[..., QuerySet]) -> PreparedQuery:
    """Decorate a function of integer ids that returns a queryset: see the module docstring."""
    return PreparedQuery(build)
