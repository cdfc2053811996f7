"""Authoring reads, scoped to the acting membership's organization, with everything the page renders."""

from __future__ import annotations
