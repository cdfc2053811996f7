"""Every authoring write with business meaning: publishing rules, ordering, choice credits, programs."""

from __future__ import annotations

from django.db import transaction
