"""Retry a flaky call a few times before giving up."""

import functools


class RetryError(Exception):
    """Every attempt failed."""


def retry(attempts=3, on_retry=None):
    """Decorator: call the function up to `attempts` times until it returns.

    `on_retry(n)` is called after failed attempt number `n` (not after the last).
    Ctrl-C and sys.exit() must stop the loop at once, not be retried.
    """

    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for attempt in range(1, attempts + 1):
                try:
                    return func(*args, **kwargs)
                except:
                    if attempt < attempts and on_retry is not None:
                        on_retry(attempt)
            raise RetryError(f"{func.__name__} failed {attempts} times")

        return wrapper

    return decorate
