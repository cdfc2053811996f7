"""Authoring pages: courses, lessons, questions, imports, programs, coverage."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from organizations.tenancy import member_required
