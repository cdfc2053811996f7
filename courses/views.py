"""Authoring pages: courses, lessons, questions, imports, programs, coverage."""
