from django.urls import path

from ceiling import views

urlpatterns = [
    path("trivial/", views.trivial),
    path("rows/", views.rows),
]
