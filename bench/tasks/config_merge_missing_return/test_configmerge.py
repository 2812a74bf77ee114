from configmerge import get_setting, merge_layers

DEFAULTS = {"db": {"host": "localhost", "port": 5432}, "debug": False, "plugins": ["auth"]}


def test_nested_keys_kept():
    merged = merge_layers(DEFAULTS, {"db": {"host": "db.internal"}})
    assert merged["db"] == {"host": "db.internal", "port": 5432}


def test_scalars_and_lists_replaced():
    merged = merge_layers(DEFAULTS, {"debug": True, "plugins": ["audit"]})
    assert merged["debug"] is True
    assert merged["plugins"] == ["audit"]
    assert merged["db"]["port"] == 5432


def test_three_layers_and_inputs_untouched():
    site = {"db": {"port": 6432}}
    env = {"db": {"host": "prod"}}
    merged = merge_layers(DEFAULTS, site, env)
    assert merged["db"] == {"host": "prod", "port": 6432}
    assert DEFAULTS["db"] == {"host": "localhost", "port": 5432}
    assert site == {"db": {"port": 6432}}


def test_get_setting():
    assert get_setting(DEFAULTS, "db.port") == 5432
    assert get_setting(DEFAULTS, "db.user", "postgres") == "postgres"
    assert get_setting(DEFAULTS, "debug.level") is None
