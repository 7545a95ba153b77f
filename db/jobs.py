"""Queueing jobs for the worker (procrastinate, migration 0011) inside a transaction.

A job queued here exists only if the transaction commits: the work it stands for (an
e-mail to deliver, news to send) is never lost between a commit and a queue, nor queued
for a write that was rolled back. Workers learn of it at once (procrastinate's trigger
notifies them).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from db.session import Db

QUEUE = "default"
DELIVER_MAIL = "causa.deliver_mail"  # one message of the outbox (jobs/queue.py)

# procrastinate runs the jobs of one lock in the order they were queued, whatever their
# times: a job that should run now is merged into a waiting one, brought forward to now.
DEFER = """
WITH brought_forward AS (
  UPDATE procrastinate_jobs SET scheduled_at = now() + $6::interval
  WHERE $7 AND lock = $3::text AND status = 'todo' AND scheduled_at > now() + $6::interval
)
SELECT procrastinate_defer_jobs_v1(ARRAY[
  ROW($1::varchar, $2::varchar, 0, $3::text, NULL, jsonb_object($4::text[], $5::text[]),
      now() + $6::interval)
]::procrastinate_job_to_defer_v1[])
WHERE NOT $7 OR NOT EXISTS (
  SELECT 1 FROM procrastinate_jobs WHERE lock = $3::text AND status = 'todo')
"""


async def defer(
    db: Db,
    task: str,
    *,
    args: dict[str, str],
    lock: str | None = None,
    after: timedelta = timedelta(0),
    join_waiting: bool = False,
) -> None:
    """Queue ``task`` with ``args`` when the transaction commits, to run ``after`` then.

    Jobs that share a ``lock`` never run at once. ``join_waiting``: not when a job with
    the same lock is waiting already (it does the same work); that one is brought forward
    to run no later than this one would.
    """
    await db.driver_row(
        DEFER, QUEUE, task, lock, list(args), list(args.values()), after, join_waiting
    )


def office_lock(office_id: uuid.UUID, work: str) -> str:
    return f"{work}:{office_id}"
