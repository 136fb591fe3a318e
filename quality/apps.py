from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "quality"

    def ready(self) -> None:
        # Register the gate's task with the Celery app in every process (web and eager test
        # runs too): marketplace starts it by name after a pin, and a name the app does not
        # know would be sent to the broker even when tasks run eagerly.
        from quality import tasks  # noqa: F401
