"""LLM providers of the cells: `offline` (local analysis), `anthropic`, `openai` or any `module:Class` Provider."""

from __future__ import annotations

from aura import load
from aura.settings import LatticeSettings
from lattice.providers.base import Completion, Provider, ProviderError, ProviderRequest, Turn

_cache: dict[str, Provider] = {}


def provider_name(settings: LatticeSettings, anthropic_key_set: bool) -> str:
    """The provider the configuration selects: `auto` means anthropic when a key is set, else offline."""
    if settings.lattice_provider == "auto":
        return "anthropic" if anthropic_key_set else "offline"
    return settings.lattice_provider


def get_provider(name: str) -> Provider:
    """The process's provider instance for `name` (created once; clients keep their connection pools)."""
    found = _cache.get(name)
    if found is not None:
        return found
    if name == "offline":
        from lattice.providers.offline import OfflineProvider

        found = OfflineProvider()
    elif name == "anthropic":
        from lattice.providers.anthropic import AnthropicProvider

        found = AnthropicProvider.from_settings()
    elif name == "openai":
        from lattice.providers.openai import OpenAIProvider

        found = OpenAIProvider.from_settings()
    elif ":" in name:
        cls = load(name)
        if not (isinstance(cls, type) and issubclass(cls, Provider)):
            raise TypeError(f"{name} is not a Provider subclass")
        found = cls()
    else:
        raise ValueError(f"unknown provider {name!r} (offline, anthropic, openai or 'module:Class')")
    _cache[name] = found
    return found


__all__ = ["Completion", "Provider", "ProviderError", "ProviderRequest", "Turn", "get_provider", "provider_name"]
