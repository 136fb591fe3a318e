from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo cooperative for `make run`; it sits at the end of the flow and may use every app."""

    name = "demo"
