from django.apps import AppConfig


class EnrollmentsConfig(AppConfig):
    name = "enrollments"
    verbose_name = "Enrollments and progress"

    def ready(self) -> None:
        # Assignment reminders, escalations, new-assignment notices and the weekly digest: categories
        # of the delivery ledger, with the planner beat runs every minute.
        from enrollments.reminders import register_categories

        register_categories()
