from django.apps import AppConfig


class ConsultationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "consultations"

    def ready(self) -> None:
        # Load and compile the intake knowledge once per process, not inside a patient's first turn.
        from consultations import intake

        intake.assess("")
