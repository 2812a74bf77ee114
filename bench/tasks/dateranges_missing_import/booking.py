"""Date ranges for a holiday-rental calendar: a stay runs from check-in to check-out."""


def nights(check_in, check_out):
    """Number of nights between two dates."""
    if check_out <= check_in:
        raise ValueError("check-out must be after check-in")
    return (check_out - check_in).days


def stay_dates(check_in, check_out):
    """Every night of the stay, as the date the night starts."""
    one_day = datetime.timedelta(days=1)
    days = []
    day = check_in
    while day < check_out:
        days.append(day)
        day += one_day
    return days


def weekend_nights(check_in, check_out):
    """Nights starting on a Friday or Saturday."""
    return sum(1 for day in stay_dates(check_in, check_out) if day.weekday() in (4, 5))


def overlaps(a_in, a_out, b_in, b_out):
    """True when two stays share at least one night."""
    return a_in < b_out and b_in < a_out
