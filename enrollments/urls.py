from django.urls import path

import config.converters  # noqa: F401  (registers <token:...>)
from enrollments import assignment_views, dashboard_views, recertification_views, views

app_name = "enrollments"

urlpatterns = [
    path("", views.home, name="home"),
    path("learn/", views.my_learning, name="my_learning"),
    path("learn/courses/<int:course_id>/", views.course_detail, name="course"),
    path("learn/courses/<int:course_id>/lessons/<int:lesson_id>/", views.lesson_detail, name="lesson"),
    path("learn/courses/<int:course_id>/lessons/<int:lesson_id>/done/", views.lesson_complete, name="lesson_complete"),
    path("learn/courses/<int:course_id>/check/", views.knowledge_check, name="check"),
    path("learn/attempts/<int:attempt_id>/", views.attempt_result, name="attempt_result"),
    path("learn/attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("calendar/", views.calendar_settings, name="calendar_settings"),
    # Public by its secret token: calendar apps subscribe without signing in (see tests/test_tenancy.py).
    path("calendar/<token:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("team/expiring/", recertification_views.expiring, name="expiring"),
    path("assignments/", assignment_views.assignment_list, name="assignment_list"),
    path("assignments/new/", assignment_views.assignment_create, name="assignment_create"),
    path("assignments/<int:assignment_id>/", assignment_views.assignment_detail, name="assignment_detail"),
    path("assignments/<int:assignment_id>/cancel/", assignment_views.assignment_cancel, name="assignment_cancel"),
    path("team/", dashboard_views.dashboard, name="dashboard"),
    path("team/export.csv", dashboard_views.dashboard_export, name="dashboard_export"),
    path("team/people/<int:membership_id>/", dashboard_views.person, name="person"),
    # Public: anyone with the code can verify a certificate (see tests/test_tenancy.py).
    path("certificates/<token:code>/", views.certificate, name="certificate"),
]
