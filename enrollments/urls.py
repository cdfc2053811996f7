from django.urls import path

from enrollments import views

app_name = "enrollments"

urlpatterns: list = []
