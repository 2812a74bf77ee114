"""Read a CSV gradebook and report each student's average mark."""

import csv
import io


def read_marks(text):
    """{student: [marks]} from CSV text with a header row `student,subject,mark`."""
    marks = {}
    for row in csv.DictReader(io.StringIO(text)):
        name = row["student"].strip()
        mark = row["mark"].strip()
        if not mark:
            continue
        marks.setdefault(name, []).append(int(mark))
    return marks


def averages(marks):
    """{student: average mark}, rounded to one decimal place."""
    return {name: round(sum(values) // len(values), 1) for name, values in marks.items() if values}


def report(text):
    """Lines 'name: average', best average first, ties by name."""
    ranked = sorted(averages(read_marks(text)).items(), key=lambda pair: (-pair[1], pair[0]))
    return [f"{name}: {avg}" for name, avg in ranked]
