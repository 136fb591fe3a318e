from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"

    def ready(self) -> None:
        # Register the pipeline's tasks in every process (web and eager test runs too): the
        # services start them by name (core.tasks.enqueue).
        from marketplace import tasks  # noqa: F401
