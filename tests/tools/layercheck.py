#!/usr/bin/env python3
"""layercheck - the include graph of milter/ and include/ follows the layers.

Each folder of milter/ (its headers under include/ by the same name) may
include only itself and the folders below it (milter/README):

    main   -> daemon, tools
    tools  -> site, bounce, engine
    site   -> engine, core
    daemon -> proxy, bounce, engine
    proxy  -> bounce, engine
    bounce -> engine
    engine -> core
    core   -> (libraries only)

and, transitively, what those may include. Also refused: a cycle among
modules (X.c/X.h including Y.h and Y, through any chain, including X.h),
and a header included by a path that does not name its folder.
Prints each violation as FILE:LINE: reason; exit status 1 if any.
"""
import os
import re
import sys

ALLOWED = {
    "main": {"daemon", "tools"},
    "tools": {"site", "bounce", "engine"},
    "site": {"engine", "core"},
    "daemon": {"proxy", "bounce", "engine"},
    "proxy": {"bounce", "engine"},
    "bounce": {"engine"},
    "engine": {"core"},
    "core": set(),
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def closure(folder):
    seen, todo = set(), [folder]
    while todo:
        f = todo.pop()
        for g in ALLOWED[f]:
            if g not in seen:
                seen.add(g)
                todo.append(g)
    return seen | {folder}


def sources(top):
    for root in ("milter", "include"):
        for dp, _, fs in os.walk(os.path.join(top, root)):
            for f in sorted(fs):
                if f.endswith((".c", ".h")):
                    yield os.path.join(dp, f)


def folder_of(path):
    parts = path.split(os.sep)
    if parts[-2] in ("milter", "include"):
        return "main" if parts[-1] == "main.c" else None
    return parts[-2]


def main():
    top = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    os.chdir(top)
    bad = []
    edges = {}
    headers = {os.path.relpath(h, "include") for h in sources(".")
               if h.startswith("./include/")}
    for path in sources("."):
        path = os.path.relpath(path)
        src = folder_of(path)
        mod = os.path.splitext(os.path.basename(path))[0]
        if src is None or src not in ALLOWED:
            bad.append("%s:1: not in a folder of the layers" % path)
            continue
        text = open(path, encoding="utf-8", errors="replace").read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if inc not in headers:
                bad.append('%s:%d: "%s" is not a header of include/ '
                           "named by its folder" % (path, line, inc))
                continue
            dst = inc.split("/")[0]
            if dst not in closure(src):
                bad.append("%s:%d: %s may not include %s (layer %s is "
                           "above or beside %s)" % (path, line, src, inc,
                                                    dst, src))
            other = os.path.splitext(os.path.basename(inc))[0]
            if other != mod:
                edges.setdefault(mod, set()).add((other, path, line))
    # Cycles among modules, through any chain.
    graph = {m: {o for o, _, _ in es} for m, es in edges.items()}
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for o in sorted(graph.get(m, ())):
            if state.get(o) == 1:
                cyc = stack[stack.index(o):] + [o]
                bad.append("cycle: %s" % " -> ".join(cyc))
            elif o not in state:
                visit(o)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    for b in bad:
        print(b)
    if bad:
        return 1
    print("layers: %d files, no upward include, no cycle" %
          sum(1 for _ in sources(".")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
