"""Layered application settings: defaults, then a site file, then the environment."""


def merge_value(base, override):
    """The value `override` gives a setting whose current value is `base`.

    Nested sections are merged key by key; lists and scalars are replaced.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if key in merged:
                merged[key] = merge_value(merged[key], value)
            else:
                merged[key] = value
    return override


def merge_layers(*layers):
    """All layers merged left to right; the inputs are not modified."""
    result = {}
    for layer in layers:
        result = merge_value(result, layer)
    return result


def get_setting(config, dotted, default=None):
    """config['a']['b'] for 'a.b', or `default` when any part is missing."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node
