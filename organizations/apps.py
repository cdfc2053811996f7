from django.apps import AppConfig


class OrganizationsConfig(AppConfig):
    name = "organizations"
    verbose_name = "Organizations and people"

    def ready(self) -> None:
        from organizations.emails import register_categories

        register_categories()
