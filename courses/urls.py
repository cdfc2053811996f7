from django.urls import path

from courses import views

app_name = "courses"

urlpatterns: list = [
    # Courses
    path("courses/", views.course_list, name="course_list"),
    path("courses/new/", views.course_create, name="course_create"),
    path("courses/<int:course_id>/", views.course_edit, name="course_edit"),
    path("courses/<int:course_id>/preview/", views.course_preview, name="course_preview"),
    path("courses/<int:course_id>/publish/", views.course_publish, name="course_publish"),
    path("courses/<int:course_id>/unpublish/", views.course_unpublish, name="course_unpublish"),
    path("courses/<int:course_id>/archive/", views.course_archive, name="course_archive"),
    # Lessons
    path("courses/<int:course_id>/lessons/new/", views.lesson_create, name="lesson_create"),
    path("courses/<int:course_id>/lessons/preview/", views.lesson_preview, name="lesson_preview"),
    path("courses/<int:course_id>/lessons/<int:lesson_id>/", views.lesson_edit, name="lesson_edit"),
    path("courses/<int:course_id>/lessons/<int:lesson_id>/delete/", views.lesson_delete, name="lesson_delete"),
    path("courses/<int:course_id>/lessons/<int:lesson_id>/move/", views.lesson_move, name="lesson_move"),
    # Questions
    path("courses/<int:course_id>/questions/new/", views.question_create, name="question_create"),
    path("courses/<int:course_id>/questions/<int:question_id>/", views.question_edit, name="question_edit"),
    path(
        "courses/<int:course_id>/questions/<int:question_id>/delete/",
        views.question_delete,
        name="question_delete",
    ),
    path("courses/<int:course_id>/questions/<int:question_id>/move/", views.question_move, name="question_move"),
    path("courses/<int:course_id>/questions/import/", views.question_import, name="question_import"),
    path("courses/<int:course_id>/questions/review/", views.question_review, name="question_review"),
    # Programs
    path("programs/", views.program_list, name="program_list"),
    path("programs/new/", views.program_create, name="program_create"),
    path("programs/<int:program_id>/", views.program_edit, name="program_edit"),
    path("programs/<int:program_id>/delete/", views.program_delete, name="program_delete"),
    # Standards coverage (admins)
    path("coverage/", views.coverage, name="coverage"),
]
