"""Publish the Celery queue depth to CloudWatch once a minute (``HealthHelper/CeleryQueueDepth``).

Runs as the ``queue_metrics`` Procfile process on every instance. All instances read the same
broker, so the stack's alarm uses the Maximum statistic and the duplicates do no harm. On Redis a
queue is a list and its length is the number of waiting tasks (Celery, "Monitoring and Management
Guide", Redis: ``LLEN``).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, Protocol

NAMESPACE = "HealthHelper"
METRIC_NAME = "CeleryQueueDepth"
PUBLISH_INTERVAL_S = 60

logger = logging.getLogger(__name__)


class ListLengthClient(Protocol):
    def llen(self, name: str) -> int: ...


def queue_depth(client: ListLengthClient, queue: str) -> int:
    return int(client.llen(queue))


def queues_of(conf: Any) -> list[str]:
    """The default queue (reports) first, then every routed one (``voice_writes``: a backlog there
    means consultation turns are waiting to be saved)."""
    routed = [route["queue"] for route in (conf.task_routes or {}).values() if "queue" in route]
    return list(dict.fromkeys([conf.task_default_queue, *routed]))


def metric_datum(environment: str, queue: str, depth: int) -> dict[str, Any]:
    return {
        "MetricName": METRIC_NAME,
        "Dimensions": [{"Name": "Environment", "Value": environment}, {"Name": "Queue", "Value": queue}],
        "Value": float(depth),
        "Unit": "Count",
    }


def main() -> None:
    import boto3
    from celery.app.utils import find_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    environment = os.environ["EB_ENVIRONMENT_NAME"]
    app = find_app("healthhelper")  # the same lookup as `celery -A healthhelper worker`
    queues = queues_of(app.conf)
    cloudwatch = boto3.client("cloudwatch")
    while True:
        try:
            with app.connection_for_read() as connection:
                client = connection.default_channel.client
                data = [metric_datum(environment, queue, queue_depth(client, queue)) for queue in queues]
            cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data)
        except Exception:  # a broker or CloudWatch blip must not kill the publisher; the alarm sees the gap
            logger.exception("could not publish the Celery queue depth")
        time.sleep(PUBLISH_INTERVAL_S)


if __name__ == "__main__":
    main()
