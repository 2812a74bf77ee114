"""The version of Aura this process runs, as installed (or a source-tree marker)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aura")
except PackageNotFoundError:  # running from a source tree shipped by `ray job submit`
    __version__ = "0.0.0+source"
