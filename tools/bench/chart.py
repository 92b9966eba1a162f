#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Draw the benchmark results as a PNG chart.

    tools/bench/chart.py RESULTS.csv OUT.png [TITLE]

RESULTS.csv holds the "csv," lines that tools/bench/bench.c prints, with the
"csv," prefix removed (scripts/bench writes it). One panel per kind of row
(time, instructions, throughput, scaling, memory), one pair of horizontal
bars per row:
kvm-devctl and real KVM, best value each (minimum time, maximum throughput),
with the ratio kvm-devctl / KVM beside it (< 1.00: kvm-devctl is better).
Rows of the diagnostics table, and the raw rows behind the controls, are
left out.
"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PANELS = [
    ("time", "ns per operation (log scale; less is better)", True),
    ("insns", "kernel instructions per operation, counted under TCG (log scale)", True),
    ("throughput", "operations per second (more is better)", False),
    ("scaling", "2 threads / 1 thread (more is better)", False),
    ("memory", "KiB per VM with one kvm-vfio device (less is better)", False),
]
COLOURS = {"kvm-devctl": "#d95f02", "KVM": "#1b9e77"}


def fmt_ratio(text):
    """The ratio as the tables print it: two decimals, or a fraction when tiny."""
    if not text:
        return ""
    r = float(text)
    if 0 < r < 0.1:
        return "ratio %.2g (1/%.0f)" % (r, 1 / r)
    return "ratio %.2f" % r


def load(path):
    with open(path, newline="") as f:
        return [r for r in csv.DictReader(f)
                if r["table"] in ("main", "insns") and r["kind"] != "na"]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    rows = load(sys.argv[1])
    title = sys.argv[3] if len(sys.argv) == 4 else "kvm-devctl vs real KVM"
    panels = [(k, xl, log) for k, xl, log in PANELS if any(r["kind"] == k for r in rows)]
    heights = [max(1, sum(r["kind"] == k for r in rows)) + 1.2 for k, _, _ in panels]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(12, 0.55 * sum(heights) + 1.5),
        gridspec_kw={"height_ratios": heights}, squeeze=False)
    for ax, (kind, xlabel, log) in zip(axes[:, 0], panels):
        sel = [r for r in rows if r["kind"] == kind]
        n = len(sel)
        ys = range(n)
        dv = [float(r["devctl_best"]) for r in sel]
        kv = [float(r["kvm_best"]) for r in sel]
        h = 0.38
        ax.barh([y - h / 2 for y in ys], dv, h, label="kvm-devctl",
                color=COLOURS["kvm-devctl"])
        ax.barh([y + h / 2 for y in ys], kv, h, label="KVM (/dev/kvm)",
                color=COLOURS["KVM"])
        ax.set_yticks(list(ys))
        ax.set_yticklabels([r["label"] for r in sel], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(xlabel, fontsize=9)
        if log:
            ax.set_xscale("log")
        top = max(dv + kv)
        ax.set_xlim(right=top * (8 if log else 1.25))
        for y, r, a, b in zip(ys, sel, dv, kv):
            ax.text(max(a, b) * (1.15 if log else 1.02), y, fmt_ratio(r["ratio"]),
                    va="center", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(title, fontsize=11, y=0.995)
    fig.legend(handles, labels, loc="upper center", ncol=2, fontsize=9,
               bbox_to_anchor=(0.5, 0.975))
    fig.tight_layout(rect=(0, 0, 1, 0.955))
    fig.savefig(sys.argv[2], dpi=110)


if __name__ == "__main__":
    main()
