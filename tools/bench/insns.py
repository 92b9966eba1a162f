#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Kernel instructions per operation, from a run of bench -m under the plugin.

    tools/bench/insns.py PLUGIN.log BENCH.out

PLUGIN.log is QEMU's log with the "insn-mark" lines of
tools/bench/insn_plugin.c; BENCH.out is what bench -m ITERS printed
("insn-row" and "insn-phase" lines). Each phase is one loop between two
markers on vCPU 0; a row's value is the minimum over its three phases of the
counter's growth divided by the iterations. Prints a markdown table, then one
"csv," line per row in the format of bench's own (table "insns", or
"insns-diag" for the rows of bench's diagnostics table).
"""

import collections
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    marks = []
    with open(sys.argv[1]) as f:
        for line in f:
            if line.startswith("insn-mark "):
                vcpu, kins, ktbs, uins = map(int, line.split()[1:5])
                marks.append((vcpu, kins, ktbs, uins))
    labels, per_call, phases = {}, {}, []
    with open(sys.argv[2]) as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line.startswith("insn-row "):
                _, rid, pc, label = line.split(" ", 3)
                labels[rid], per_call[rid] = label, pc == "1"
            elif line.startswith("insn-phase "):
                _, rid, node, iters = line.split()
                phases.append((rid, node, int(iters)))
    if len(marks) != 2 * len(phases):
        sys.exit("insns.py: %d markers for %d phases" % (len(marks), len(phases)))
    best = collections.defaultdict(lambda: None)
    for i, (rid, node, iters) in enumerate(phases):
        a, b = marks[2 * i], marks[2 * i + 1]
        if a[0] != b[0]:
            sys.exit("insns.py: the markers of phase %d ran on two vCPUs" % i)
        v = ((b[1] - a[1]) / iters, (b[2] - a[2]) / iters)
        if best[(rid, node)] is None or v < best[(rid, node)]:
            best[(rid, node)] = v
    floor = {n: best[("enotty", n)][0] for n in ("devctl", "kvm")}

    print("| operation | kvm-devctl insns/op | KVM insns/op | ratio devctl/KVM "
          "| devctl above ENOTTY | KVM above ENOTTY | kvm-devctl TBs/op | KVM TBs/op |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    csv = []
    for rid in labels:
        d, k = best[(rid, "devctl")], best[(rid, "kvm")]
        above = ("%.0f" % (d[0] - floor["devctl"]), "%.0f" % (k[0] - floor["kvm"])) \
            if per_call[rid] else ("", "")
        print("| %s | %.0f | %.0f | %.2f | %s | %s | %.0f | %.0f |" % (
            labels[rid], d[0], k[0], d[0] / k[0], above[0], above[1], d[1], k[1]))
        table = "insns-diag" if labels[rid].endswith("[diagnostic]") else "insns"
        csv.append("csv,%s,%s,\"%s\",insns,insns/op,%.1f,,%.1f,,%.6g,%s,%s" % (
            table, rid, labels[rid], d[0], k[0], d[0] / k[0], above[0], above[1]))
    print()
    print("\n".join(csv))


if __name__ == "__main__":
    main()
