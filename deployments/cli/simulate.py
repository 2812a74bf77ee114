"""`aura simulate` (also `python -m deployments simulate` under `ray job submit`): a scenario run on Ray.

Joins the Ray cluster at RAY_ADDRESS (so `ray job submit` works) or that of
a running `aura up`, or starts a local Ray for the run and stops it
afterwards (`deployments.simulation`). Ray, the engine, Parquet and plotting
load only when a simulation runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from aura.settings import get_settings
from negotiation.simulate import ScenarioError, load


def _price_range(text: str, flag: str) -> dict[str, float]:
    low, sep, high = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return {"low": float(low), "high": float(high)}
    except ValueError:
        raise ScenarioError(detail=f"{flag}: expected LOW:HIGH, got {text!r}") from None


def _mix(text: str, flag: str) -> dict[str, float]:
    mix: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, weight = part.partition("=")
        try:
            mix[name.strip()] = float(weight) if sep else 1.0
        except ValueError:
            raise ScenarioError(detail=f"{flag}: bad weight in {part!r}; expected NAME=WEIGHT") from None
    return mix


def _overrides(flags: dict[str, Any]) -> dict[str, Any]:
    """Scenario fields from the flags that were given (None = not given)."""
    found: dict[str, Any] = {
        name: flags[name]
        for name in ("buyers", "sellers", "negotiations", "deadline", "epochs", "seed", "target_utility", "output_dir")
        if flags[name] is not None
    }
    for side, flag, field in (
        ("buyer", "buyer_strategies", "strategies"),
        ("seller", "seller_strategies", "strategies"),
    ):
        if flags[flag] is not None:
            found.setdefault(side, {})[field] = _mix(flags[flag], "--" + flag.replace("_", "-"))
    for side, flag, field in (
        ("buyer", "buyer_reservation", "reservation_price"),
        ("buyer", "buyer_aspiration", "aspiration_price"),
        ("seller", "seller_floor", "floor_price"),
        ("seller", "seller_base", "base_price"),
    ):
        if flags[flag] is not None:
            found.setdefault(side, {})[field] = _price_range(flags[flag], "--" + flag.replace("_", "-"))
    return found


def simulate(
    scenario_file: Annotated[
        Path | None, typer.Argument(help="Scenario file (YAML or JSON); flags override its fields.", show_default=False)
    ] = None,
    buyers: Annotated[int | None, typer.Option(help="Number of buyers.")] = None,
    sellers: Annotated[int | None, typer.Option(help="Number of sellers.")] = None,
    negotiations: Annotated[int | None, typer.Option(help="Negotiations in the whole run.")] = None,
    deadline: Annotated[int | None, typer.Option(help="Rounds before a negotiation fails.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs; W2 loops step between epochs.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed; same seed, same results.")] = None,
    target_utility: Annotated[float | None, typer.Option(help="Utility the W2 loops steer toward.")] = None,
    buyer_strategies: Annotated[
        str | None, typer.Option(help="Buyer mix, e.g. boulware=2,conceder=1,adaptive=1.")
    ] = None,
    seller_strategies: Annotated[str | None, typer.Option(help="Seller mix, same form.")] = None,
    buyer_reservation: Annotated[str | None, typer.Option(help="Buyer reservation price range LOW:HIGH.")] = None,
    buyer_aspiration: Annotated[str | None, typer.Option(help="Buyer opening bid range LOW:HIGH.")] = None,
    seller_floor: Annotated[str | None, typer.Option(help="Seller floor price range LOW:HIGH.")] = None,
    seller_base: Annotated[str | None, typer.Option(help="Seller base price range LOW:HIGH.")] = None,
    output_dir: Annotated[Path | None, typer.Option(help="Output directory.")] = None,
    shards: Annotated[int | None, typer.Option(min=1, help="Shard hosts; default one per CPU in the cluster.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")] = False,
    record_run: Annotated[bool, typer.Option("--record/--no-record", help="Record the run in the database.")] = True,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
) -> None:
    """Simulate many buyers and sellers negotiating, sharded over a Ray cluster."""
    flags = dict(locals())
    try:
        scenario = load(scenario_file, _overrides(flags))
    except (ScenarioError, OSError) as error:
        typer.echo(f"bad scenario:\n{error}", err=True)
        raise typer.Exit(2) from None
    from deployments.simulation import simulation_runtime
    from negotiation.simulate import execute

    with simulation_runtime(get_settings(), record=record_run) as runtime:
        summary = execute(
            scenario,
            shards,
            progress=progress,
            database_url=runtime.database_url,
            engine_done=runtime.engine_done,
        )
    if json_output:
        typer.echo(summary.model_dump_json(indent=2))
    else:
        run = summary.metrics.run
        typer.echo(
            f"{run.negotiations} negotiations, {run.agreements} agreements ({run.agreement_rate:.1%}) "
            f"in {summary.wall_seconds:.2f} s on {summary.shards} shards "
            f"(start-up {runtime.startup_s:.1f} s{_joined(runtime.joined)}); "
            f"outputs in {summary.output_dir}"
        )


def _joined(api: str | None) -> str:
    return f", joined the aura up at {api}" if api else ""
