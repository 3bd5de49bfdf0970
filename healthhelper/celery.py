"""The Celery app. Embedded mode runs tasks eagerly (see settings); production uses a Redis broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthhelper.settings")

app = Celery("healthhelper")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
