from django.urls import path

from organizations import views

app_name = "organizations"

urlpatterns = [
    path("", views.home, name="home"),
    path("no-organization/", views.no_organization, name="no_organization"),
]
