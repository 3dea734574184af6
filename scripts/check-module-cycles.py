#!/usr/bin/env python3
"""Fails when a crate of the workspace has an import circle between its modules.

Every crate root (src/lib.rs, src/main.rs, src/bin/*, tests/*.rs, examples/*, benches/*) is
walked through its `mod` declarations. Each module's `use` statements (crate::, super::,
self:: and child paths, braces expanded) give edges to the modules they name. A module
seeing its own ancestors or descendants is the module tree, not a circle, so those edges
are left out; any other strongly connected set of modules is a circle and is printed with
the `use` lines that make it.

Circles listed in scripts/module-cycles-allowed.txt (one per line: the crate root, a colon,
the members joined by " <-> ", as this script prints them) are reported but do not fail;
an allowed circle that is gone is reported too, so that its line can be removed.

Usage: scripts/check-module-cycles.py [WORKSPACE_DIR]   (default: the repository root)
"""

import os
import re
import sys

SKIP_DIRS = {"target", "node_modules", ".git", "fuzz"}


def strip_comments_and_strings(text):
    """Blanks comments, string and char literals (keeping newlines) so braces can be counted."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r"r(#*)\"", text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i : j + 1]))
            i = j + 1
        elif c == "'":
            m = re.match(r"'(\\.|\\u\{[0-9a-fA-F]+\}|\\x[0-9a-fA-F]{2}|[^\\'])'", text[i:])
            if m:
                out.append(" " * len(m.group(0)))
                i += len(m.group(0))
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [[a, b], [a, c, d], [a, c, e]] (`self` in braces = the prefix)."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)

    def split_top(s):
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def go(s):
        if "{" not in s:
            return [[p for p in s.split("::") if p]]
        i = s.index("{")
        prefix = [p for p in s[:i].split("::") if p]
        inner = s[i + 1 : s.rindex("}")]
        res = []
        for part in split_top(inner):
            for tail in go(part):
                if tail == ["self"]:
                    res.append(prefix)
                else:
                    res.append(prefix + tail)
        return res

    return go(tree)


class Crate:
    def __init__(self, root_file):
        self.root_file = root_file
        self.modules = {}  # tuple path -> file
        self.uses = []  # (from_path, [segments], file, line)

    def walk(self, path, file, is_root_like):
        text = open(file, encoding="utf-8").read()
        self.modules[path] = file
        clean = strip_comments_and_strings(text)
        base_dir = os.path.dirname(file)
        if not is_root_like:
            base_dir = os.path.join(base_dir, os.path.splitext(os.path.basename(file))[0])
        self.scan(path, file, clean, text, base_dir)

    def scan(self, path, file, clean, raw, base_dir):
        # A stack of inline modules: (module path, brace depth at which it closes).
        stack = [(path, -1)]
        depth = 0
        i, n = 0, len(clean)
        pending_path_attr = None
        while i < n:
            c = clean[i]
            if c == "{":
                depth += 1
                i += 1
                continue
            if c == "}":
                depth -= 1
                if len(stack) > 1 and stack[-1][1] == depth:
                    stack.pop()
                i += 1
                continue
            m = re.match(r"#\[path\s*=\s*", clean[i:])
            if m:
                # The literal was blanked; read it from the raw text.
                lit = re.match(r'#\[path\s*=\s*"([^"]+)"\s*\]', raw[i:])
                pending_path_attr = lit.group(1) if lit else None
                i += len(lit.group(0)) if lit else len(m.group(0))
                continue
            if (i == 0 or not (clean[i - 1].isalnum() or clean[i - 1] == "_")) and clean.startswith("mod", i):
                m = re.match(r"mod\s+(r#)?(\w+)\s*([;{])", clean[i:])
                if m:
                    name = m.group(2)
                    cur = stack[-1][0]
                    child = cur + (name,)
                    if m.group(3) == "{":
                        depth += 1
                        stack.append((child, depth - 1))
                        self.modules.setdefault(child, file)
                    else:
                        cur_dir = base_dir
                        for seg in cur[len(path):]:
                            cur_dir = os.path.join(cur_dir, seg)
                        if pending_path_attr:
                            target = os.path.normpath(os.path.join(os.path.dirname(file) if len(stack) == 1 else cur_dir, pending_path_attr))
                            self.walk(child, target, True)
                        else:
                            a = os.path.join(cur_dir, name + ".rs")
                            b = os.path.join(cur_dir, name, "mod.rs")
                            if os.path.exists(a):
                                self.walk(child, a, False)
                            elif os.path.exists(b):
                                self.walk(child, b, True)
                    pending_path_attr = None
                    i += len(m.group(0))
                    continue
            if (i == 0 or not (clean[i - 1].isalnum() or clean[i - 1] == "_")) and clean.startswith("use", i):
                m = re.match(r"use\s+([^;]+);", clean[i:])
                if m and re.match(r"use\s", clean[i:]):
                    line = clean.count("\n", 0, i) + 1
                    for segs in expand_use(m.group(1)):
                        self.uses.append((stack[-1][0], segs, file, line))
                    i += len(m.group(0))
                    continue
            if c not in " \t\n":
                pending_path_attr = pending_path_attr if c in "#[]" else None
            i += 1

    def resolve(self, frm, segs):
        if not segs:
            return None
        segs = [s for s in segs if s != "*"]
        if segs and segs[0] == "crate":
            cur, rest = (), segs[1:]
        elif segs and segs[0] in ("super", "self"):
            cur, rest = frm, segs
            while rest and rest[0] in ("super", "self"):
                if rest[0] == "super":
                    cur = cur[:-1]
                rest = rest[1:]
        elif frm + (segs[0],) in self.modules:
            cur, rest = frm, segs
        else:
            return None  # another crate
        for s in rest:
            if cur + (s,) in self.modules:
                cur = cur + (s,)
            else:
                break
        return cur

    def edges(self):
        out = {}
        for frm, segs, file, line in self.uses:
            to = self.resolve(frm, segs)
            if to is None or to == frm:
                continue
            if to[: len(frm)] == frm or frm[: len(to)] == to:
                continue  # ancestor or descendant: the module tree itself
            out.setdefault(frm, {}).setdefault(to, []).append(f"{os.path.relpath(file)}:{line}")
        return out


def sccs(nodes, edges):
    index, low, on, stack, res, counter = {}, {}, set(), [], [], [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                res.append(comp)

    for v in nodes:
        if v not in index:
            strong(v)
    return res


def crate_roots(ws):
    roots = []
    for dirpath, dirnames, filenames in os.walk(ws):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        if "Cargo.toml" not in filenames:
            continue
        for rel in ("src/lib.rs", "src/main.rs"):
            p = os.path.join(dirpath, rel)
            if os.path.exists(p):
                roots.append(p)
        for sub in ("src/bin", "tests", "examples", "benches"):
            d = os.path.join(dirpath, sub)
            if not os.path.isdir(d):
                continue
            for name in sorted(os.listdir(d)):
                p = os.path.join(d, name)
                if name.endswith(".rs"):
                    roots.append(p)
                elif os.path.exists(os.path.join(p, "main.rs")):
                    roots.append(os.path.join(p, "main.rs"))
    return sorted(roots)


def main():
    ws = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    ws = os.path.normpath(ws)
    os.chdir(ws)
    failures = 0
    allowed_file = os.path.join("scripts", "module-cycles-allowed.txt")
    allowed = set()
    if os.path.exists(allowed_file):
        for line in open(allowed_file, encoding="utf-8"):
            line = line.strip()
            if line and not line.startswith("#"):
                allowed.add(line)
    seen = set()
    roots = crate_roots(".")
    for root in roots:
        crate = Crate(root)
        crate.walk((), root, True)
        edges = crate.edges()
        for comp in sccs(sorted(crate.modules), edges):
            names = sorted("::".join(("crate",) + m) for m in comp)
            key = f"{os.path.normpath(root)}: {' <-> '.join(names)}"
            if key in allowed:
                seen.add(key)
                print(f"allowed (scripts/module-cycles-allowed.txt) import circle in {key}")
                continue
            failures += 1
            print(f"import circle in {key}")
            members = set(comp)
            for frm in sorted(members):
                for to, where in sorted(edges.get(frm, {}).items()):
                    if to in members:
                        print(f"    {'::'.join(('crate',) + frm)} -> {'::'.join(('crate',) + to)}  ({', '.join(where[:3])})")
    for key in sorted(allowed - seen):
        print(f"note: the allowed circle {key} is gone; remove its line from {allowed_file}")
    if failures:
        print(f"{failures} import circle(s)")
        return 1
    print(f"no import circle in {len(roots)} crate roots (beyond the allowed ones, if any)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
