import pytest
from router import NotFound, Router


def home():
    return "home"


def user():
    return "user"


def test_exact_and_param_routes():
    router = Router()
    router.add("/", home)
    router.add("/users/{id}", user)
    assert router.resolve("/") == (home, {})
    assert router.resolve("/users/42") == (user, {"id": "42"})


def test_routers_do_not_share_routes():
    api = Router()
    api.add("/status", home)
    admin = Router()
    with pytest.raises(NotFound):
        admin.resolve("/status")


def test_fresh_router_is_empty():
    Router().add("/leak", home)
    assert Router().routes == {}


def test_initial_routes_are_used():
    router = Router({"/about": home})
    assert router.resolve("/about") == (home, {})
