from accesslog import error_rate, parse_line, parse_log

OK = '10.0.0.1 - - [10/Oct/2023:13:55:36 +0000] "GET /index.html HTTP/1.1" 200 2326'
FAIL = '10.0.0.2 - - [10/Oct/2023:13:55:37 +0000] "POST /api/save HTTP/1.1" 503 -'


def test_parse_line_fields():
    entry = parse_line(OK)
    assert entry["ip"] == "10.0.0.1"
    assert entry["method"] == "GET"
    assert entry["path"] == "/index.html"
    assert entry["status"] == 200
    assert entry["size"] == 2326


def test_dash_size_is_zero():
    assert parse_line(FAIL)["size"] == 0


def test_garbage_is_skipped():
    assert parse_log([OK, "not a log line", FAIL]) == [parse_line(OK), parse_line(FAIL)]


def test_error_rate():
    assert error_rate(parse_log([OK, OK, OK, FAIL])) == 0.25
    assert error_rate([]) == 0.0
