from django.urls import path

from followups import observation_views, plan_views, practice_views, views

app_name = "followups"

urlpatterns = [
    # The employee's follow-ups (views.py)
    path("followups/", views.followup_list, name="list"),
    path("followups/<int:followup_id>/", views.followup_detail, name="detail"),
    path("followups/<int:followup_id>/refresher/", views.refresher, name="refresher"),
    # A refresher opened from its email on a phone: the signed token is the permission (that refresher only).
    path("r/<str:token>/", views.refresher_by_token, name="refresher_by_token"),
    # Practice at work: the person's task (practice_views.py)
    path("followups/<int:followup_id>/practice/", practice_views.practice, name="practice"),
    # A manager's follow-up work: the list, one follow-up of their people, the observation checklist
    path("team/followups/", practice_views.team_followups, name="team"),
    path("team/followups/<int:followup_id>/", practice_views.coach_followup, name="coach"),
    path("team/followups/<int:followup_id>/observation/", observation_views.observation, name="observation"),
    # Admins: the organization's refresher settings and each program's follow-up plan (plan_views.py)
    path("organization/followups/", plan_views.followup_settings, name="settings"),
    path("organization/followups/programs/<int:program_id>/", plan_views.plan_edit, name="plan"),
]
