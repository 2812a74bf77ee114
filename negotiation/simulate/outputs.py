"""A run's files: summary.json, parties.parquet (one row per party) and PNG plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display

import matplotlib.pyplot as plt
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from negotiation.simulate.engine import RunResult
from negotiation.simulate.metrics import buyer_utility, seller_utility
from negotiation.simulate.summary import Summary
from negotiation.strategies import Strategy

SUMMARY = "summary.json"
PARTIES = "parties.parquet"
W2_PLOT = "w2_by_epoch.png"
PRICE_PLOT = "agreed_prices.png"
PAIR_PLOT = "agreement_by_pair.png"


def write(result: RunResult, summary: Summary, directory: Path) -> list[Path]:
    """Write every output of the run into `directory` (created if needed); return the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / SUMMARY).write_text(summary.model_dump_json(indent=2))
    pq.write_table(party_table(result), directory / PARTIES)
    _plot_w2(summary, directory / W2_PLOT)
    _plot_prices(result, directory / PRICE_PLOT)
    _plot_pairs(summary, directory / PAIR_PLOT)
    return [directory / name for name in (SUMMARY, PARTIES, W2_PLOT, PRICE_PLOT, PAIR_PLOT)]


def party_table(result: RunResult) -> pa.Table:
    """One row per party: side, id, strategy, prices, exponent before and after, outcomes, mean utility, W2 per epoch.

    For a buyer the prices are its reservation and aspiration prices; for a
    seller its floor and base prices.
    """
    o = result.outcomes
    price = np.where(o.agreed, o.price, np.nan)
    b, s = result.buyers, result.sellers
    return pa.concat_tables(
        [
            _side_table(
                "buyer",
                result.buyer,
                b.id,
                b.strategy,
                b.reservation_price,
                b.aspiration_price,
                buyer_utility(price, o.buyer_reservation_price, o.buyer_aspiration_price),
                o.agreed,
                result.buyer_exponent_start,
                result.buyer_exponent_final,
                result.buyer_w2,
            ),
            _side_table(
                "seller",
                result.seller,
                s.id,
                s.strategy,
                s.floor_price,
                s.base_price,
                seller_utility(price, o.seller_floor_price, o.seller_base_price),
                o.agreed,
                result.seller_exponent_start,
                result.seller_exponent_final,
                result.seller_w2,
            ),
        ]
    )


def _side_table(
    side: str,
    party_of: np.ndarray,
    ids: np.ndarray,
    strategy: np.ndarray,
    reservation: np.ndarray,
    aspiration: np.ndarray,
    utility: np.ndarray,
    agreed: np.ndarray,
    start: np.ndarray,
    final: np.ndarray,
    w2: np.ndarray,
) -> pa.Table:
    count = ids.size
    negotiations = np.bincount(party_of, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_utility = np.bincount(party_of, weights=utility, minlength=count) / negotiations
    labels = np.array([s.label for s in Strategy])
    columns = {
        "side": pa.array([side] * count),
        "party_id": ids,
        "strategy": labels[strategy],
        "reservation_price": reservation,
        "aspiration_price": aspiration,
        "exponent_start": start,
        "exponent_final": final,
        "negotiations": negotiations,
        "agreements": np.bincount(party_of, weights=agreed, minlength=count).astype(np.int64),
        "mean_utility": mean_utility,
    }
    for epoch in range(w2.shape[0]):
        columns[f"w2_epoch_{epoch}"] = w2[epoch]
    return pa.table(columns)


def _plot_w2(summary: Summary, path: Path) -> None:
    epochs = [e.epoch for e in summary.metrics.epochs]
    figure, axes = plt.subplots(figsize=(7, 4))
    for label, values in (
        ("all parties, mean", [e.w2.mean for e in summary.metrics.epochs]),
        ("all parties, p50", [e.w2.p50 for e in summary.metrics.epochs]),
        ("all parties, p90", [e.w2.p90 for e in summary.metrics.epochs]),
        ("buyers, mean", [e.buyer_w2.mean for e in summary.metrics.epochs]),
        ("sellers, mean", [e.seller_w2.mean for e in summary.metrics.epochs]),
    ):
        axes.plot(epochs, [np.nan if v is None else v for v in values], marker="o", label=label)
    axes.set_xlabel("epoch")
    axes.set_ylabel(f"W2 to target utility {summary.scenario.target_utility}")
    axes.set_title("W2 per party over epochs")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_prices(result: RunResult, path: Path) -> None:
    o = result.outcomes
    zone = o.buyer_reservation_price.astype(np.float64) - o.seller_floor_price
    priced = o.agreed & (zone > 0)
    figure, (raw, normalised) = plt.subplots(1, 2, figsize=(10, 4))
    raw.hist(o.price[o.agreed], bins=60)
    raw.set_xlabel("agreed price")
    raw.set_ylabel("negotiations")
    raw.set_title("Agreed prices")
    normalised.hist((o.price[priced] - o.seller_floor_price[priced]) / zone[priced], bins=60, range=(0, 1))
    normalised.axvline(0.5, color="black", linestyle="--", label="Nash bargaining solution")
    normalised.set_xlabel("price normalised to the zone of agreement (0 = floor, 1 = reservation)")
    normalised.set_title("Agreed prices in the zone of agreement")
    normalised.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _plot_pairs(summary: Summary, path: Path) -> None:
    labels = [s.label for s in Strategy]
    rates = np.full((len(labels), len(labels)), np.nan)
    for pair in summary.metrics.pairs:
        rates[labels.index(pair.buyer_strategy), labels.index(pair.seller_strategy)] = pair.agreement_rate
    figure, axes = plt.subplots(figsize=(7, 6))
    image = axes.imshow(rates, vmin=0, vmax=1, cmap="viridis")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("seller strategy")
    axes.set_ylabel("buyer strategy")
    for (row, column), rate in np.ndenumerate(rates):
        if not np.isnan(rate):
            axes.text(column, row, f"{rate:.2f}", ha="center", va="center", color="white" if rate < 0.6 else "black")
    axes.set_title("Agreement rate by strategy pair")
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
