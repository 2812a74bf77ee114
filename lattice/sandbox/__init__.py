"""The sandbox the lattice runs code in: workspaces, limits, bubblewrap runs and their test reports."""

from __future__ import annotations

from lattice.sandbox.junit import TestCase, TestReport, parse_junit
from lattice.sandbox.limits import Limit, Limits
from lattice.sandbox.runner import DEFAULT_TEST_COMMAND, Run, Sandbox, SandboxUnavailable, command_for, shared_sandbox
from lattice.sandbox.workspace import Workspace, WorkspaceError, checked_path

__all__ = [
    "DEFAULT_TEST_COMMAND",
    "Limit",
    "Limits",
    "Run",
    "Sandbox",
    "SandboxUnavailable",
    "TestCase",
    "TestReport",
    "Workspace",
    "WorkspaceError",
    "checked_path",
    "command_for",
    "parse_junit",
    "shared_sandbox",
]
