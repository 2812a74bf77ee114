from ratelimit import RateLimiter


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_limit_enforced():
    limiter = RateLimiter(3, 60, FakeClock())
    assert [limiter.allow("ip") for _ in range(5)] == [True, True, True, False, False]


def test_window_slides():
    clock = FakeClock()
    limiter = RateLimiter(2, 10, clock)
    assert limiter.allow("a") and limiter.allow("a")
    assert not limiter.allow("a")
    clock.now = 10.0
    assert limiter.allow("a")


def test_keys_are_independent():
    limiter = RateLimiter(1, 60, FakeClock())
    assert limiter.allow("alice")
    assert limiter.allow("bob")
    assert not limiter.allow("alice")


def test_remaining():
    limiter = RateLimiter(2, 60, FakeClock())
    limiter.allow("k")
    assert limiter.remaining("k") == 1
    limiter.allow("k")
    limiter.allow("k")
    assert limiter.remaining("k") == 0
