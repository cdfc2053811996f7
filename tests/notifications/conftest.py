"""Categories used by the ledger's own tests, registered for the test only."""

from __future__ import annotations

import pytest

from notifications import categories
from notifications.categories import Category


@pytest.fixture
def withdrawn_ids() -> set[int]:
    """Object ids the `test-reminder` category treats as no longer relevant (e.g. already done)."""
    return set()


@pytest.fixture(autouse=True)
def test_categories(monkeypatch, withdrawn_ids):
    # Only the ledger's test categories: the product's own (enrollments' reminders...) would otherwise
    # show on the pages under test and take part in their opt-outs.
    registry = {name: category for name, category in categories._categories.items() if not category.in_app}
    monkeypatch.setattr(categories, "_categories", registry)
    monkeypatch.setattr(categories, "_planners", {})
    categories.register(
        Category(
            name="test-reminder",
            label="Test reminders",
            in_app=True,
            combine_group="test-reminders",
            still_relevant=lambda messages: {m.pk: "Already done." for m in messages if m.object_id in withdrawn_ids},
        )
    )
    categories.register(Category(name="test-digest", label="Test digest", optional=True, in_app=True))
    categories.register(Category(name="test-receipt", label="Test receipt"))
    return registry
