#!/usr/bin/env python3
"""Make a long-text classification task: which library a Python docstring comes from.

The texts are the docstrings (of modules, classes and functions) of seven
libraries whose sources Debian installs with scripts/setup.sh's packages
(python3-torch, python3-sklearn, python3-optuna and what they pull in):
torch, sympy, scipy, numpy, sklearn, sqlalchemy, and the standard library.
No network, the standard library only, and the output is reproducible.

  - a docstring is kept if it has at least --min-words words, and is cut to
    400 words; reStructuredText roles, underlines and directives are removed;
  - the names of the libraries (torch, np, sympy, ..., python) are replaced by
    "LIB" unless --no-mask: the label must be read from the prose, not from a name;
  - exact duplicates are dropped (a text found under two labels, entirely), as
    are near-duplicates (half of a text's 8-word shingles already seen);
  - each class keeps at most --cap texts, in the order of a hash of the text.

Tests, benchmarks and idle_test folders are not read.

Usage:
  python3 scripts/make_docstring_task.py OUT.csv [--no-mask] [--min-words=40] [--cap=2000]

The output is a CSV file (RFC 4180 quoting) with the header "text,label"; for
qtnas use --data OUT.csv (the text and label columns are the defaults).
"""
import ast, csv, hashlib, os, re, sys

DIST = '/usr/lib/python3/dist-packages'
STD = '/usr/lib/python3.11'
SOURCES = {  # label -> list of roots
    'torch': [DIST + '/torch'],
    'sympy': [DIST + '/sympy'],
    'scipy': [DIST + '/scipy'],
    'numpy': [DIST + '/numpy'],
    'sklearn': [DIST + '/sklearn'],
    'sqlalchemy': [DIST + '/sqlalchemy'],
    'stdlib': [STD],
}
SKIP_DIRS = {'tests', 'test', 'testing', '__pycache__', 'site-packages', 'dist-packages',
             'idle_test', 'benchmarks', 'config-3.11-x86_64-linux-gnu'}
MIN_WORDS, MAX_WORDS, CAP = 40, 400, 2000  # defaults; --min-words= / --cap= override
MASK = re.compile(r'\b(torch|pytorch|sympy|scipy|numpy|np|sklearn|scikit-learn|sqlalchemy|python)\b', re.I)

def h(s):
    return int(hashlib.md5(s.encode('utf-8')).hexdigest(), 16)

def clean(d):
    d = re.sub(r':(?:py:)?\w+:`~?([^`]*)`', r'\1', d)     # :func:`~a.b` -> a.b
    d = d.replace('``', '').replace('`', '')
    d = re.sub(r'^\s*[-=~^*]{3,}\s*$', ' ', d, flags=re.M)  # RST underlines
    d = re.sub(r'\.\. \w+::', ' ', d)                       # directives
    w = d.split()
    return ' '.join(w[:MAX_WORDS]), len(w)

def files(root):
    if os.path.isfile(root):
        yield root; return
    for dp, dn, fn in os.walk(root):
        dn[:] = sorted(d for d in dn if d not in SKIP_DIRS)
        for f in sorted(fn):
            if f.endswith('.py') and not f.startswith('test_'):
                yield os.path.join(dp, f)

def docs(label):
    for root in SOURCES[label]:
        for path in files(root):
            try:
                tree = ast.parse(open(path, encoding='utf-8', errors='replace').read())
            except Exception:
                continue
            for n in ast.walk(tree):
                if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                    d = ast.get_docstring(n)
                    if d:
                        yield d

def shingles(text, k=8):
    w = re.sub(r'[^a-z0-9 ]', ' ', text.lower()).split()
    return {h(' '.join(w[i:i + k])) & 0xffffffffffff for i in range(max(1, len(w) - k + 1))}

def main():
    outs = [a for a in sys.argv[1:] if not a.startswith('--')]
    if len(outs) != 1:
        sys.exit(__doc__)
    out = outs[0]
    mask = '--no-mask' not in sys.argv
    global MIN_WORDS, CAP
    for a in sys.argv[1:]:
        if a.startswith('--min-words='): MIN_WORDS = int(a.split('=')[1])
        if a.startswith('--cap='): CAP = int(a.split('=')[1])
    cand = []
    for label in sorted(SOURCES):
        for d in docs(label):
            text, n = clean(d)
            if n >= MIN_WORDS:
                if mask:
                    text = MASK.sub('LIB', text)
                cand.append((text, label))
    # exact dedup (normalised); texts appearing under two labels are dropped entirely
    norm = {}
    for t, l in cand:
        k = re.sub(r'\W+', ' ', t.lower()).strip()
        norm.setdefault(k, set()).add((t, l))
    uniq = sorted((sorted(v)[0] for v in norm.values() if len({l for _, l in v}) == 1), key=lambda x: h(x[0]))
    # near-dup removal: drop a text if >=50% of its 8-word shingles belong to an already kept text
    seen, kept = set(), []
    for t, l in uniq:
        s = shingles(t)
        if len(s & seen) >= 0.5 * len(s):
            continue
        seen |= s
        kept.append((t, l))
    # cap each class (deterministic: order by text hash)
    per, final = {}, []
    for t, l in kept:
        if per.get(l, 0) < CAP:
            per[l] = per.get(l, 0) + 1
            final.append((t, l))
    with open(out, 'w', newline='', encoding='utf-8') as f:
        w = csv.writer(f)
        w.writerow(['text', 'label'])
        w.writerows(final)
    print('candidates', len(cand), 'unique', len(uniq), 'after near-dup', len(kept), 'written', len(final), file=sys.stderr)
    print('per class', dict(sorted(per.items())), file=sys.stderr)

if __name__ == '__main__':
    main()
