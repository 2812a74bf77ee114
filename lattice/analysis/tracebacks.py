"""Parsing Python tracebacks: the exception, the frames, the frame to look at, and a likely cause."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_HEADER = "Traceback (most recent call last):"
_FRAME = re.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<func>.+))?$')
_EXCEPTION = re.compile(
    r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|Warning|Iteration|Group)?)"
    r"(?::\s?(?P<message>.*))?$"
)
_LIBRARY = re.compile(r"(site-packages|dist-packages|/lib/python\d|<frozen |\\lib\\)")

# Causes keyed by exception type; the message refines them below.
_CAUSES = {
    "KeyError": "a dict was indexed with a key it does not hold; use .get() or check membership first",
    "IndexError": "a sequence was indexed past its end; check its length or the loop bounds",
    "AttributeError": "an object lacks the attribute used; check its type at that point",
    "TypeError": "a value of the wrong type (or the wrong number of arguments) reached a call or operator",
    "ValueError": "a value of the right type had an unacceptable content",
    "ZeroDivisionError": "a divisor was zero; guard the division",
    "ModuleNotFoundError": "the module is not installed in this environment, or its name is misspelled",
    "ImportError": "the name does not exist in that module (version mismatch or circular import)",
    "NameError": "a name is used before it is assigned, or is misspelled",
    "UnboundLocalError": "a local variable is read before assignment "
    "(an assignment later in the function makes it local)",
    "FileNotFoundError": "the path does not exist relative to the current working directory",
    "PermissionError": "the process lacks permission for that path or port",
    "RecursionError": "a recursion has no reachable base case",
    "ConnectionRefusedError": "nothing listens at the address; check the host, the port and that the server runs",
    "TimeoutError": "the operation took longer than its timeout; the peer is slow or unreachable",
    "AssertionError": "an assertion's condition was false",
    "StopIteration": "next() was called on an exhausted iterator",
    "RuntimeError": "an operation was invalid in the current state",
    "json.decoder.JSONDecodeError": "the text is not valid JSON (often an empty or HTML response)",
    "JSONDecodeError": "the text is not valid JSON (often an empty or HTML response)",
    "UnicodeDecodeError": "bytes were decoded with the wrong encoding",
    "MemoryError": "the process ran out of memory",
    "OSError": "an operating-system call failed",
}


@dataclass(frozen=True)
class Frame:
    """One stack frame: file, line, function and the source line shown."""

    file: str
    line: int
    function: str
    source: str | None

    @property
    def in_library(self) -> bool:
        """Whether the frame is in an installed package or the standard library."""
        return bool(_LIBRARY.search(self.file))


@dataclass
class ParsedTraceback:
    """One exception's traceback (the last in a chain) and the chain's earlier exceptions."""

    exception: str
    message: str
    frames: list[Frame] = field(default_factory=list)
    chained: list[str] = field(default_factory=list)

    @property
    def culprit(self) -> Frame | None:
        """The innermost frame in the caller's own code (else the innermost frame)."""
        own = [f for f in self.frames if not f.in_library]
        return own[-1] if own else (self.frames[-1] if self.frames else None)

    def likely_cause(self) -> str:
        """A cause for the exception, from its type and message."""
        short = self.exception.rsplit(".", 1)[-1]
        message = self.message
        if short == "AttributeError" and "'NoneType'" in message:
            return "a value is None where an object was expected: a function returned None or a lookup found nothing"
        if short == "TypeError" and re.search(r"takes \d+ positional arguments? but \d+ (were|was) given", message):
            return "a function was called with more positional arguments than it accepts (forgotten `self`?)"
        if short == "TypeError" and "missing" in message and "required" in message:
            return "a function was called without a required argument"
        if short == "TypeError" and "not subscriptable" in message:
            return "a value that is not a container (often None or a function) was indexed"
        if short == "TypeError" and "can only concatenate" in message:
            return "values of different types were joined with +; convert one (str(), int())"
        if short == "KeyError":
            return f"the key {message or '(shown above)'} is not in the dict; use .get() or check membership first"
        if short == "ModuleNotFoundError":
            found = re.search(r"No module named '([^']+)'", message)
            if found:
                return (
                    f"the package providing '{found.group(1)}' is not installed in this environment (or is misspelled)"
                )
        return _CAUSES.get(self.exception) or _CAUSES.get(short) or "no rule matches this exception type"


def parse_tracebacks(text: str) -> list[ParsedTraceback]:
    """Every traceback in `text`, chained ones folded into the last of their chain."""
    lines = text.splitlines()
    parsed: list[ParsedTraceback] = []
    pending_chain: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != _HEADER:
            index += 1
            continue
        index += 1
        frames: list[Frame] = []
        while index < len(lines):
            match = _FRAME.match(lines[index])
            if match:
                source = None
                following = lines[index + 1] if index + 1 < len(lines) else ""
                if following.startswith("    ") and not _FRAME.match(following):
                    source = following.strip()
                    index += 1
                frames.append(Frame(match["file"], int(match["line"]), (match["func"] or "<module>").strip(), source))
                index += 1
                continue
            stripped = lines[index].strip()
            # Caret lines and blank lines sit between frames and the exception line.
            if not stripped or set(stripped) <= {"^", "~", " "}:
                index += 1
                continue
            break
        exception_line = lines[index].strip() if index < len(lines) else ""
        match = _EXCEPTION.match(exception_line)
        if match is None:
            continue
        current = ParsedTraceback(match["type"], (match["message"] or "").strip(), frames, list(pending_chain))
        index += 1
        rest = "\n".join(lines[index : index + 3])
        if "During handling of the above exception" in rest or "The above exception was the direct cause" in rest:
            pending_chain.append(f"{current.exception}: {current.message}")
        else:
            pending_chain = []
            parsed.append(current)
    return parsed
