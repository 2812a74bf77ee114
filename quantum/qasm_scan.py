"""A lexical scan of OpenQASM 2 text that refuses dangerous or oversized programs before Qiskit parses them.

Qiskit's parser opens whatever file an ``include`` names, allocates registers
of any declared size, and gate definitions that call each other can expand
exponentially. The scan decides all of that from the tokens alone, so no
file is opened, nothing is allocated and nothing is expanded for a program
it refuses:

- the only string a program may hold is ``"qelib1.inc"`` right after
  ``include`` (Qiskit's own library, built into the parser);
- the declared quantum and classical bits are summed from ``qreg``/``creg``;
- the number of gates the program expands to is computed from its gate
  definitions by memoised recursion, never by expanding them;
- integers too long for Qiskit's lexer, which panics on them, are refused.

It fails closed. Text it cannot tokenise is refused, and its comments end
at the first control character, never later than Qiskit's end at a line
break, so every string Qiskit would read is a string the scan has checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from aura import excerpt
from quantum.errors import CircuitError
from quantum.limits import CircuitLimits

ALLOWED_INCLUDE: Final[str] = "qelib1.inc"
_MAX_SIZE_DIGITS: Final[int] = 9  # a register size with more digits is over any limit; no need to convert it
# Qiskit's lexer panics on an integer or a version part beyond 64 bits; shorter ones are all a program needs.
_MAX_INTEGER_DIGITS: Final[int] = 18
_VERSION = re.compile(r"\d{1,9}(?:\.\d{1,9})?")

_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n]+)"
    r"|(?P<comment>//[^\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]*)"
    r"|(?P<string>\"[^\"\n]*\"|'[^'\n]*')"
    r"|(?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<word>[A-Za-z][A-Za-z0-9_]*)"
    r"|(?P<symbol>->|==|[;,()\[\]{}+\-*/^])",
    re.ASCII,  # Qiskit reads ASCII only: a digit or letter of another script must not pass for one
)


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "number", "word", "symbol" or "junk" (a character that starts no token)
    text: str
    offset: int


_Statement = Sequence[_Token]


def scan(text: str, limits: CircuitLimits) -> None:
    """Refuse the program unless it is safe and small enough to hand to Qiskit's parser.

    Raises:
        CircuitError: ``include_not_allowed`` (any include but qelib1.inc, or a
            stray string), ``invalid_qasm`` (text that does not tokenise, has
            a malformed declaration or definition, or an integer too long for
            Qiskit's lexer), ``too_many_qubits``, ``too_many_clbits``,
            ``too_many_gate_definitions``, ``too_many_gates``.
    """
    tokens = _tokens(text)
    # First, so that a program naming a file is told so whatever else is wrong with it.
    _check_includes(tokens)
    for token in tokens:
        if token.kind == "junk":
            line, column = _position(text, token.offset)
            raise CircuitError(
                "invalid_qasm", f"invalid OpenQASM 2 at {line}:{column}: unexpected '{excerpt(token.text)}'"
            )
    registers = _registers(tokens, limits.max_qubits)
    _check_numbers(tokens)
    definitions, statements = _split(tokens)
    if len(definitions) > limits.max_gate_definitions:
        raise CircuitError(
            "too_many_gate_definitions",
            f"the program defines {len(definitions)} gates; the limit is {limits.max_gate_definitions}",
        )
    cost = _GateCosts(definitions, cap=limits.max_gates + 1)
    total = 0
    for statement in statements:
        total = min(cost.cap, total + _statement_gates(statement, cost, registers))
    if total > limits.max_gates:
        raise CircuitError("too_many_gates", f"the program expands to more than {limits.max_gates} gates")


def _tokens(text: str) -> list[_Token]:
    """Every token of `text` but whitespace and comments; a character no token starts with is a junk token."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            tokens.append(_Token("junk", text[position], position))
            position += 1
            continue
        kind = match.lastgroup
        assert kind is not None
        if kind not in ("space", "comment"):
            tokens.append(_Token(kind, match.group(), position))
        position = match.end()
    return tokens


def _check_includes(tokens: Sequence[_Token]) -> None:
    """Allow only ``include "qelib1.inc";``; any other include, or any string or quote elsewhere, is refused."""
    refused = CircuitError("include_not_allowed", f'only "{ALLOWED_INCLUDE}" may be included')
    for index, token in enumerate(tokens):
        if token.kind == "word" and token.text == "include":
            following = tokens[index + 1 : index + 3]
            if (
                len(following) != 2
                or following[0].kind != "string"
                or following[0].text[1:-1] != ALLOWED_INCLUDE
                or following[1].text != ";"
            ):
                raise refused
        elif token.kind == "string" or (token.kind == "junk" and token.text in "\"'"):
            previous = tokens[index - 1] if index else None
            if previous is None or previous.text != "include":
                raise refused


def _check_numbers(tokens: Sequence[_Token]) -> None:
    """Refuse integers and a version number too long for Qiskit's lexer to convert."""
    for index, token in enumerate(tokens):
        if token.kind != "number":
            continue
        if token.text.isdigit() and len(token.text) > _MAX_INTEGER_DIGITS:
            raise CircuitError("invalid_qasm", f"an integer of more than {_MAX_INTEGER_DIGITS} digits")
        if index and tokens[index - 1].text == "OPENQASM" and not _VERSION.fullmatch(token.text):
            raise CircuitError("invalid_qasm", "the OpenQASM version is not a number like 2.0")


def _registers(tokens: Sequence[_Token], max_qubits: int) -> dict[str, int]:
    """Every register's size by name, refusing declarations whose bits together exceed `max_qubits`."""
    sizes: dict[str, int] = {}
    declared = {"qreg": 0, "creg": 0}
    for index, token in enumerate(tokens):
        if token.kind != "word" or token.text not in declared:
            continue
        declaration = tokens[index + 1 : index + 5]
        if (
            len(declaration) != 4
            or declaration[0].kind != "word"
            or declaration[1].text != "["
            or not declaration[2].text.isdigit()
            or declaration[3].text != "]"
        ):
            raise CircuitError("invalid_qasm", f"a malformed {token.text} declaration")
        digits = declaration[2].text
        size = max_qubits + 1 if len(digits) > _MAX_SIZE_DIGITS else int(digits)
        declared[token.text] += size
        sizes[declaration[0].text] = size
    if declared["qreg"] > max_qubits:
        raise CircuitError(
            "too_many_qubits", f"the program declares more than {max_qubits} qubits, the limit for the ideal reference"
        )
    if declared["creg"] > max_qubits:
        raise CircuitError("too_many_clbits", f"the program declares more than {max_qubits} classical bits")
    return sizes


def _split(tokens: Sequence[_Token]) -> tuple[dict[str, list[_Statement] | None], list[_Statement]]:
    """The program's gate definitions (name → body statements, None when opaque) and its top-level statements."""
    definitions: dict[str, list[_Statement] | None] = {}
    statements: list[_Statement] = []
    index = 0
    while index < len(tokens):
        head = tokens[index]
        if head.kind == "word" and head.text in ("gate", "opaque"):
            name = tokens[index + 1] if index + 1 < len(tokens) else None
            if name is None or name.kind != "word":
                raise CircuitError("invalid_qasm", f"a {head.text} declaration without a name")
            if name.text in definitions:
                raise CircuitError("invalid_qasm", f"gate '{excerpt(name.text)}' is defined twice")
            if head.text == "opaque":
                end = _find(tokens, ";", index)
                definitions[name.text] = None
            else:
                start = _find(tokens, "{", index)
                end = _find(tokens, "}", start)
                definitions[name.text] = _statements(tokens[start + 1 : end])
            index = end + 1
        else:
            end = _find(tokens, ";", index, missing=len(tokens))
            statements.append(tokens[index:end])
            index = end + 1
    return definitions, statements


def _find(tokens: Sequence[_Token], symbol: str, start: int, missing: int | None = None) -> int:
    """The index of the first `symbol` from `start`; `missing` if there is none, or `invalid_qasm` without one."""
    for index in range(start, len(tokens)):
        if tokens[index].text == symbol:
            return index
    if missing is None:
        raise CircuitError("invalid_qasm", f"'{symbol}' expected before the end of the program")
    return missing


def _statements(tokens: Sequence[_Token]) -> list[_Statement]:
    """A gate body's statements, split at semicolons."""
    statements: list[_Statement] = []
    start = 0
    for index, token in enumerate(tokens):
        if token.text == ";":
            statements.append(tokens[start:index])
            start = index + 1
    if start < len(tokens):
        statements.append(tokens[start:])
    return statements


class _GateCosts:
    """How many gates one application of each named gate expands to, computed once per definition."""

    def __init__(self, definitions: dict[str, list[_Statement] | None], cap: int) -> None:
        self.cap = cap
        self._definitions = definitions
        self._known: dict[str, int] = {}
        self._open: set[str] = set()

    def of(self, name: str) -> int:
        """Gates `name` expands to, at most `cap`; 1 for a gate the program does not define (or an opaque one)."""
        body = self._definitions.get(name)
        if body is None:
            return 1
        if name in self._known:
            return self._known[name]
        if name in self._open:
            raise CircuitError("invalid_qasm", f"gate '{excerpt(name)}' is defined in terms of itself")
        self._open.add(name)
        total = 0
        for statement in body:
            if statement:
                total = min(self.cap, total + self.of(statement[0].text))
        self._open.discard(name)
        self._known[name] = total
        return total


def _statement_gates(statement: _Statement, cost: _GateCosts, registers: dict[str, int]) -> int:
    """Gates one top-level statement adds: its gate's expansion times the register width it is broadcast over."""
    if not statement or statement[0].text in ("OPENQASM", "include", "qreg", "creg"):
        return 0
    if statement[0].text == "if":
        # A conditioned gate counts as the gate; the condition is `if ( creg == n )`.
        statement = statement[_closing(statement, 1) + 1 :]
        if not statement:
            return 0
    arguments = statement[1:]
    if arguments and arguments[0].text == "(":
        arguments = arguments[_closing(arguments, 0) + 1 :]
    width = 1
    for index, token in enumerate(arguments):
        whole_register = index + 1 == len(arguments) or arguments[index + 1].text != "["
        if token.kind == "word" and whole_register:
            width = max(width, registers.get(token.text, 1))
    # Even a gate with an empty body is one instruction when parsed.
    return min(cost.cap, max(1, cost.of(statement[0].text)) * width)


def _closing(tokens: _Statement, opening: int) -> int:
    """The index of the parenthesis that closes the one at `opening`; `invalid_qasm` if it is never closed."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text == "(":
            depth += 1
        elif tokens[index].text == ")":
            depth -= 1
            if depth == 0:
                return index
    raise CircuitError("invalid_qasm", "a parenthesis is never closed")


def _position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
