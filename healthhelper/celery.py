"""The Celery app. Embedded mode runs tasks eagerly (see settings); production uses a Redis broker."""

import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "healthhelper.settings")

app = Celery("healthhelper")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
def _check_database_connections(sender: Any = None, **_: Any) -> None:
    """Each task starts as a Django request does: a connection kept from an earlier task
    (CELERY_DB_REUSE_MAX) is checked before use, so one dropped by a database failover is
    replaced instead of failing the task's saves. Eager tasks run inside their caller's work."""
    if not getattr(getattr(sender, "request", None), "is_eager", False):
        close_old_connections()
