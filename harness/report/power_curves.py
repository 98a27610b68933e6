"""The calibration's power curves as a PNG for docs/measuring.md: `python -m harness.report.power_curves OUT.png`.

Renders harness.judge.calibration's simulated power (a lone true change in a per-phase
family — as big as `--combinations key` makes on two scenarios — paired blocks with drift and slow
outliers) against the number of blocks.
Computes nothing itself; writes only the file it is given.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: the file is the output
from matplotlib.figure import Figure

from harness.judge import calibration, gates, power
from scanner.phases import key_combinations

# The per-phase table of --combinations key on two scenarios (each promise alone and on top of the rest).
FAMILY_SIZE = gates.family_sizes(2, [str(c) for c in key_combinations()])["per-phase"]
SIGMAS_LOG = (0.05, 0.10)
BLOCKS = tuple(range(5, 31))
SIMULATIONS = 1000


def render_png(curves_by_sigma: dict[float, tuple[calibration.Curve, ...]]) -> bytes:
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    axes = figure.subplots(1, len(curves_by_sigma), sharey=True)
    for ax, (sigma, curves) in zip(axes, curves_by_sigma.items(), strict=True):
        for curve in curves:
            ax.plot(curve.blocks, curve.power, marker=".", label=f"{abs(curve.effect_percent):g}% change")
        ax.axhline(power.TARGET_POWER, color="grey", linestyle=":", linewidth=1)
        ax.set_title(f"σ of log ratios {sigma * 100:g}%, {FAMILY_SIZE} tests, BH at 5%", fontsize=9)
        ax.set_xlabel("blocks (--repeat)")
        ax.set_xlim(BLOCKS[0], BLOCKS[-1])
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("power (lone true change)")
    axes[0].legend(fontsize=8)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m harness.report.power_curves OUT.png", file=sys.stderr)
        return 2
    effects = [e for e in calibration.EFFECTS_PERCENT if e != 0.0]
    curves = {
        sigma: calibration.power_curves(effects, sigma, FAMILY_SIZE, BLOCKS, SIMULATIONS)
        for sigma in SIGMAS_LOG
    }
    Path(argv[0]).write_bytes(render_png(curves))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
