from gradebook import averages, read_marks, report

CSV = """student,subject,mark
Ana,maths,9
Ana,physics,8
Ben,maths,7
Ben,physics,
Cleo,maths,6
Cleo,physics,9
Cleo,art,8
"""


def test_read_marks_skips_blank():
    assert read_marks(CSV) == {"Ana": [9, 8], "Ben": [7], "Cleo": [6, 9, 8]}


def test_averages_are_not_truncated():
    assert averages({"Ana": [9, 8], "Dan": [1, 2, 2]}) == {"Ana": 8.5, "Dan": 1.7}


def test_report_order():
    assert report(CSV) == ["Ana: 8.5", "Cleo: 7.7", "Ben: 7.0"]


def test_whole_number_average():
    assert averages({"Eve": [4, 6]}) == {"Eve": 5.0}
