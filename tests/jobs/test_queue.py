"""The job queue's tasks and schedules, as every worker registers them."""

from __future__ import annotations

import time

from procrastinate.jobs import Job

from jobs import queue


def test_the_worker_runs_the_news_every_minute_and_the_purges_every_night(
    database_url: str,
) -> None:
    app = queue.new_app(database_url)
    schedules = {
        task.task.name: task.cron for task in app.periodic_registry.periodic_tasks.values()
    }
    assert schedules == {
        "causa.court_news_sweep": "* * * * *",
        "causa.purge_access_log": "17 3 * * *",
        "causa.remove_old_jobs": "47 3 * * *",
    }
    assert {"causa.deliver_mail", "causa.court_news"} <= set(app.tasks)


def _retry_in(attempts: int) -> float | None:
    job = Job(queue="default", lock=None, queueing_lock=None, task_name="x", attempts=attempts)
    decision = queue.MAIL_RETRIES.get_retry_decision(exception=OSError(), job=job)
    if decision is None:
        return None
    assert decision.retry_at is not None
    return decision.retry_at.timestamp() - time.time()


def test_mail_is_retried_twelve_times_with_backoff_over_about_two_hours() -> None:
    waits = [_retry_in(attempts) for attempts in range(13)]
    assert [round(wait) for wait in waits[:12] if wait is not None] == [2**n for n in range(1, 13)]
    assert round(sum(wait for wait in waits if wait is not None)) == 8_190  # 2 h 16 min 30 s
    assert waits[12] is None


def test_the_connector_takes_the_runtime_url_as_libpq_does() -> None:
    url = "postgresql+asyncpg://causa:s%40cret@db.example:5433/causa?ssl=require"
    assert (
        queue.connector_url(url) == "postgresql://causa:s%40cret@db.example:5433/causa?ssl=require"
    )
