"""A sliding-window rate limiter: at most `limit` calls per `window` seconds per key."""

from collections import deque


class RateLimiter:
    def __init__(self, limit, window, clock):
        """`clock()` returns the current time in seconds (injected for testing)."""
        self.limit = limit
        self.window = window
        self.clock = clock
        self.calls = {}

    def allow(self, key):
        """Record a call for `key` and say whether it is within the limit."""
        now = self.clock()
        recent = self.calls.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if len(recent) > self.limit:
            return False
        recent.append(now)
        return True

    def remaining(self, key):
        """Calls `key` may still make in the current window."""
        now = self.clock()
        recent = [t for t in self.calls.get(key, ()) if t > now - self.window]
        return max(0, self.limit - len(recent))
