from django.urls import path

from followups import views

app_name = "followups"

urlpatterns = [
    # The employee's follow-ups (views.py)
    path("followups/", views.followup_list, name="list"),
    path("followups/<int:followup_id>/", views.followup_detail, name="detail"),
    path("followups/<int:followup_id>/refresher/", views.refresher, name="refresher"),
    # A refresher opened from its email on a phone: the signed token is the permission (that refresher only).
    path("r/<str:token>/", views.refresher_by_token, name="refresher_by_token"),
]
