"""A test-only task, loaded only by the worker that test_worker_redis starts (``-I``)."""

import os
from pathlib import Path

from celery import shared_task


@shared_task(name="b12care.alerts.tests.crash_tasks.crash_once")
def crash_once(folder: str) -> str:
    """Kill the pool process on the first run (like an OOM kill); succeed on the second."""
    folder_path = Path(folder)
    runs = len(list(folder_path.glob("run-*")))
    (folder_path / f"run-{runs + 1}").write_text(str(os.getpid()))
    if runs == 0:
        os._exit(1)  # the child dies mid-task: no ack, no result
    (folder_path / "done").write_text("ok")
    return "ok"
