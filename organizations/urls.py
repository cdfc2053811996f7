from django.urls import path

import config.converters  # noqa: F401  (registers <token:...>)
from organizations import views

app_name = "organizations"

urlpatterns = [
    path("promise/", views.promise, name="promise"),
    path("no-organization/", views.no_organization, name="no_organization"),
    path("organization/settings/", views.organization_settings, name="settings"),
    path("organization/history/", views.organization_history, name="organization_history"),
    path("organization/switch/", views.switch, name="switch"),
    path("organization/delivery-log/", views.delivery_log, name="delivery_log"),
    path("standards/", views.standard_list, name="standard_list"),
    path("standards/new/", views.standard_create, name="standard_create"),
    path("standards/<int:standard_id>/edit/", views.standard_edit, name="standard_edit"),
    path("standards/<int:standard_id>/history/", views.standard_history, name="standard_history"),
    path("standards/<int:standard_id>/active/", views.standard_set_active, name="standard_set_active"),
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:team_id>/edit/", views.team_edit, name="team_edit"),
    path("teams/<int:team_id>/delete/", views.team_delete, name="team_delete"),
    path("teams/<int:team_id>/members/add/", views.team_member_add, name="team_member_add"),
    path(
        "teams/<int:team_id>/members/<int:membership_id>/remove/",
        views.team_member_remove,
        name="team_member_remove",
    ),
    path("people/", views.member_list, name="member_list"),
    path("people/<int:membership_id>/edit/", views.member_edit, name="member_edit"),
    path("imports/<int:job_id>/", views.import_job, name="import_job"),
    path("invitations/", views.invitation_list, name="invitation_list"),
    path("invitations/new/", views.invitation_create, name="invitation_create"),
    path("invitations/import/", views.invitation_import, name="invitation_import"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation_resend"),
    path("invitations/accept/<token:token>/", views.invitation_accept, name="invitation_accept"),
]
