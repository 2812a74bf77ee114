"""A minimal URL router: exact paths and one-segment `{param}` patterns."""


class NotFound(Exception):
    """No route matches the path."""


class Router:
    def __init__(self, routes={}):
        self.routes = routes

    def add(self, pattern, handler):
        """Register `handler` for `pattern`, e.g. '/users/{id}'."""
        self.routes[pattern] = handler

    def resolve(self, path):
        """(handler, params) for the route matching `path`; raises NotFound."""
        if path in self.routes:
            return self.routes[path], {}
        parts = path.strip("/").split("/")
        for pattern, handler in self.routes.items():
            names = pattern.strip("/").split("/")
            if len(names) != len(parts):
                continue
            params = {}
            for name, part in zip(names, parts, strict=True):
                if name.startswith("{") and name.endswith("}"):
                    params[name[1:-1]] = part
                elif name != part:
                    break
            else:
                return handler, params
        raise NotFound(path)
