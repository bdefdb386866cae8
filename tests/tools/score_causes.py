#!/usr/bin/env python3
"""score_causes - score `milter-annotate classify` on labelled corpus files.

usage: score_causes.py [--bin BIN] [--misses] [--why] [--novel] FILE.tsv...

For each file (and all together): the share of replies given their right
cause (right / all), and the share of the causes given that are right
(precision: right among replies given a cause other than none), then a
confusion list (want -> got, count). --misses lists every wrong line.
--novel scores only the replies whose text no tuning file holds (the
corpus files but the blind sets and fresh2; spaces and case ignored): the
strict figure for text nobody had seen in any form.
This is the tuning tool: never run it on the blind set until the end.
"""
import collections
import glob
import os
import re
import subprocess
import sys


def rows(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#") or line.startswith("set\t"):
            continue
        f = line.split("\t")
        if len(f) != 4:
            continue
        out.append((f[0], f[1], f[2].replace("\\n", "\n"), f[3]))
    return out


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def tuned_texts():
    """The normalised replies of every tuning file."""
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "corpus", "causes-*.tsv")
    out = set()
    for f in glob.glob(here):
        if "blind" in os.path.basename(f) or "fresh2" in f:
            continue
        out.update(norm(r[2]) for r in rows(f))
    return out


def classify(binary, replies, opts=()):
    """classify's lines for replies (one each), 200 to a command line."""
    out = []
    for k in range(0, len(replies), 200):
        args = [binary, "classify"] + list(opts) + replies[k:k + 200]
        r = subprocess.run(args, capture_output=True, text=True).stdout
        out += r.rstrip("\n").split("\n")
    return out


def score(pairs):
    n = len(pairs)
    right = sum(1 for w, g in pairs if w == g)
    given = [(w, g) for w, g in pairs if g.split()[0] != "none"]
    gr = sum(1 for w, g in given if w == g.split()[0])
    return n, right, len(given), gr


def main():
    args = sys.argv[1:]
    binary = "build/milter-annotate"
    if "--bin" in args:
        i = args.index("--bin")
        binary = args[i + 1]
        del args[i:i + 2]
    misses = "--misses" in args
    why = "--why" in args
    seen = tuned_texts() if "--novel" in args else None
    files = [a for a in args if not a.startswith("--")]
    allp = []
    conf = collections.Counter()
    for f in files:
        rs = rows(f)
        if seen is not None:
            rs = [r for r in rs if norm(r[2]) not in seen]
        got = classify(binary, [r[2] for r in rs], ["--why"] if why else [])
        pairs = []
        for r, g in zip(rs, got):
            gname = g.split()[0] if g else "none"
            pairs.append((r[1], gname))
            if r[1] != gname:
                conf[(r[1], gname)] += 1
                if misses:
                    print("MISS want=%s got=%s | %s | %s" %
                          (r[1], g, r[2].replace("\n", "\\n")[:300], r[3][:60]))
        n, right, ng, gr = score(pairs)
        print("%-40s %4d lines  right %5.1f%%  precision %5.1f%% (%d given)" %
              (f, n, 100.0 * right / max(n, 1), 100.0 * gr / max(ng, 1), ng))
        allp += pairs
    n, right, ng, gr = score(allp)
    print("%-40s %4d lines  right %5.1f%%  precision %5.1f%% (%d given)" %
          ("ALL", n, 100.0 * right / max(n, 1), 100.0 * gr / max(ng, 1), ng))
    print("confusions (want -> got):")
    for (w, g), c in conf.most_common(30):
        print("  %3d  %s -> %s" % (c, w, g))


if __name__ == "__main__":
    main()
