from validator import collect_errors, is_valid

GOOD = {"username": "ada", "email": "ada@example.org", "age": 36}


def test_bad_record_reports_its_problems():
    errors = collect_errors({"username": "", "email": "nope", "age": 7})
    assert errors == ["username is required", "email must contain '@'", "age must be between 13 and 120"]


def test_good_record_after_bad_record():
    collect_errors({"email": "x"})
    assert collect_errors(GOOD) == []


def test_is_valid_is_per_record():
    assert not is_valid({"username": "bob"})
    assert is_valid(GOOD)


def test_caller_list_is_extended():
    errors = ["earlier problem"]
    collect_errors({"username": "c", "email": "c@d.e"}, errors)
    assert errors == ["earlier problem", "age is required"]
