"""Validate sign-up records before they are saved."""

REQUIRED = ("username", "email", "age")


def collect_errors(record, errors=[]):
    """Append a message for each problem with `record` to `errors` and return it."""
    for field in REQUIRED:
        if field not in record or record[field] in ("", None):
            errors.append(f"{field} is required")
    email = record.get("email") or ""
    if email and "@" not in email:
        errors.append("email must contain '@'")
    age = record.get("age")
    if isinstance(age, int) and not 13 <= age <= 120:
        errors.append("age must be between 13 and 120")
    return errors


def is_valid(record):
    """True when the record has no problems."""
    return not collect_errors(record)
