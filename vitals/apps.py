from django.apps import AppConfig


class VitalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "vitals"
