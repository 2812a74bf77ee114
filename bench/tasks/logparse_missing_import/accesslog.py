"""Parse web-server access log lines and summarise them."""

LINE = (
    r"^(?P<ip>\S+) \S+ \S+ \[(?P<when>[^\]]+)\] "
    r'"(?P<method>[A-Z]+) (?P<path>\S+) [^"]*" (?P<status>\d{3}) (?P<size>\d+|-)$'
)


def parse_line(line):
    """A dict of the line's fields, or None when it is not an access-log line."""
    match = re.match(LINE, line.strip())
    if match is None:
        return None
    entry = match.groupdict()
    entry["status"] = int(entry["status"])
    entry["size"] = 0 if entry["size"] == "-" else int(entry["size"])
    return entry


def parse_log(lines):
    """The parsed entries of `lines`, skipping lines that do not parse."""
    entries = []
    for line in lines:
        entry = parse_line(line)
        if entry is not None:
            entries.append(entry)
    return entries


def error_rate(entries):
    """Share of entries with a 5xx status."""
    if not entries:
        return 0.0
    return sum(1 for e in entries if e["status"] >= 500) / len(entries)
