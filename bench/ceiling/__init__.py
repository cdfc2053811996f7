"""The ceiling: a minimal Django project served beside the product in `bench/http_pages.py`.

What `django-admin startproject` gives (its settings, middleware and apps), plus one app with two
pages: a trivial view, and a page that renders 20 rows of one table from one ORM query through a
template. Nothing of the product is imported; it has its own database on the same PostgreSQL server.
"""
