from django.apps import AppConfig


class SignalingConfig(AppConfig):
    name = "signaling"
    verbose_name = "Signaling"

    def ready(self):
        from signaling import receivers  # noqa: F401  (connects the account signals)
