from tagging import clean_tag, normalize_tags, parse_tag_string


def test_duplicates_dropped_within_one_call():
    assert normalize_tags(["Python", " python ", "Web Dev"]) == ["python", "web-dev"]


def test_each_post_gets_its_own_tags():
    first = normalize_tags(["news", "sport"])
    second = normalize_tags(["sport", "weather"])
    assert first == ["news", "sport"]
    assert second == ["sport", "weather"]


def test_parse_tag_string_twice():
    assert parse_tag_string("a, b, a") == ["a", "b"]
    assert parse_tag_string("b, c") == ["b", "c"]


def test_clean_tag_truncates_and_joins():
    assert clean_tag("  Machine   Learning ") == "machine-learning"
    assert len(clean_tag("x" * 50)) == 32
    assert clean_tag("   ") == ""
