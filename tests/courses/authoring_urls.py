"""The project's URLs, plus placeholders for authoring links whose pages another engineer is building.

The course edit page links to `courses:question_import` and `courses:question_review` (the GIFT/Aiken
importer). Until those names exist, the authoring view tests use this URLconf so they can render the
page; once they exist, it adds nothing and is the same as config.urls.
"""

from django.http import HttpResponse
from django.urls import include, path

from config import urls as project_urls

PLACEHOLDERS = {"courses": {"question_import": "course_id", "question_review": "course_id"}}


def _placeholder(request, **kwargs):
    return HttpResponse("placeholder")


def _with_placeholders(resolver):
    wanted = PLACEHOLDERS.get(resolver.namespace, {})
    existing = {getattr(entry, "name", None) for entry in resolver.url_patterns}
    extra = [
        path(f"__placeholder__/{name}/<int:{kwarg}>/", _placeholder, name=name)
        for name, kwarg in wanted.items()
        if name not in existing
    ]
    if not extra:
        return resolver
    patterns = list(resolver.url_patterns) + extra
    return path(str(resolver.pattern), include((patterns, resolver.app_name), namespace=resolver.namespace))


urlpatterns = [
    _with_placeholders(entry) if getattr(entry, "namespace", None) in PLACEHOLDERS else entry
    for entry in project_urls.urlpatterns
]
