from django.http import HttpResponse
from django.shortcuts import render

from ceiling.models import Item


def trivial(request):
    return HttpResponse("Hello, world.")


def rows(request):
    """20 rows of one table, one query, rendered through a template."""
    return render(request, "ceiling/rows.html", {"items": Item.objects.all()[:20]})
