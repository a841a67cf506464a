"""A real Celery worker, against the real broker (Redis in .ci/run), runs our tasks."""

import pytest
from celery.contrib.testing.worker import start_worker

from b12care.celery import app
from b12care.core import tasks
from b12care.core.models import Heartbeat


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_completes_a_task_sent_through_redis():
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = tasks.ping.delay()
        assert result.get(timeout=30) == "pong"


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_task_records_in_the_database_that_a_worker_is_alive():
    assert not Heartbeat.objects.exists()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # heartbeat normally ignores its result; ask for it here so we can wait on the backend
        tasks.heartbeat.apply_async(ignore_result=False).get(timeout=30)
    assert Heartbeat.objects.get(name="worker").seen_at is not None


def test_the_celery_app_is_configured_not_to_lose_or_pickle_tasks():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_time_limit < 3600  # below Redis's visibility timeout


def test_beat_schedules_the_heartbeat():
    assert app.conf.beat_schedule["heartbeat"]["task"] == "b12care.core.tasks.heartbeat"
