from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Follow-ups"

    def ready(self) -> None:
        from followups.emails import register_categories
        from followups.pages import register_sections
        from followups.proficiency import register_proficiency_sections

        register_categories()
        register_sections()
        register_proficiency_sections()
