"""Input parsing and validation for authoring: courses, lessons, questions and choices, programs."""

from __future__ import annotations

from django import forms
