#!/usr/bin/env python3
"""Make a sentence-pair relation task from WordNet 3.0 synsets.

Each row pairs two noun synsets or two verb synsets, each written as
"<first lemma>: <gloss>", and labels how the second relates to the first:

  hypernym   the second synset is a direct hypernym of the first ('@' pointer)
  hyponym    the second synset is a direct hyponym of the first ('~' pointer)
  unrelated  the second synset is a random synset with the same part of speech
             and the same lexicographer file that is neither of the above

Instance pointers ('@i', '~i') are not used. The three classes are balanced,
each direct hypernym link is used at most once (in one direction or the
other), no unordered pair of synsets occurs twice, and a synset is the first
synset of at most --max-per-first rows, so that no synset dominates.
The rows are shuffled with a fixed seed, so the output is reproducible.

Glosses lose their example sentences (the quoted parts after the definition);
a gloss that would be left empty is kept whole.

Usage:
  python3 scripts/make_wordnet_pairs.py OUT.csv
      [--wordnet-dir /usr/share/wordnet] [--rows 30000] [--seed 1]
      [--max-per-first 3]

The output is a CSV file (RFC 4180 quoting) with the header
"first,second,relation"; for qtnas use
  --data OUT.csv --text-column first --text-pair-column second
  --label-column relation
"""

import argparse
import collections
import csv
import random
import re
import sys
from pathlib import Path

POS_FILES = {"n": "data.noun", "v": "data.verb"}
HYPERNYM, HYPONYM, UNRELATED = "hypernym", "hyponym", "unrelated"
CLASSES = (HYPERNYM, HYPONYM, UNRELATED)

Synset = collections.namedtuple("Synset", "key lex_file text hypernyms hyponyms")

# Example sentences follow the definition after '; "' (a few glosses use
# ': "' or ', "'); a quote inside parentheses belongs to the definition.
EXAMPLE_START = re.compile(r'(^|[;:,]\s*)"')


def definition_only(gloss):
    """The gloss without its example sentences, or the whole gloss if that
    would leave nothing."""
    for match in EXAMPLE_START.finditer(gloss):
        before = gloss[:match.start()]
        if before.count("(") == before.count(")"):
            definition = before.strip()
            return definition if definition else gloss
    return gloss


def parse_data_line(pos, line):
    """One synset of a data.<pos> line; keys are (pos, offset) pairs."""
    fields_part, _, gloss = line.partition(" | ")
    fields = fields_part.split()
    offset, lex_file = fields[0], int(fields[1])
    word_count = int(fields[3], 16)
    lemma = fields[4].replace("_", " ")
    i = 4 + 2 * word_count
    pointer_count = int(fields[i])
    hypernyms, hyponyms = [], []
    for j in range(i + 1, i + 1 + 4 * pointer_count, 4):
        symbol, target, target_pos = fields[j], fields[j + 1], fields[j + 2]
        if symbol == "@":
            hypernyms.append((target_pos, target))
        elif symbol == "~":
            hyponyms.append((target_pos, target))
    text = f"{lemma}: {definition_only(gloss.strip())}"
    return Synset((pos, offset), lex_file, text, hypernyms, hyponyms)


def read_wordnet(wordnet_dir):
    """All noun and verb synsets, by (pos, offset)."""
    synsets = {}
    for pos, name in POS_FILES.items():
        with open(Path(wordnet_dir) / name, encoding="utf-8") as f:
            for line in f:
                if line.startswith("  "):  # the license header
                    continue
                synset = parse_data_line(pos, line.rstrip("\n"))
                synsets[synset.key] = synset
    return synsets


class PairSampler:
    """Draws the rows, keeping the per-synset cap and the pair uniqueness."""

    def __init__(self, synsets, rng, max_per_first):
        self.synsets = synsets
        self.rng = rng
        self.max_per_first = max_per_first
        self.first_counts = collections.Counter()
        self.used_pairs = set()  # unordered pairs of synset keys
        self.rows = []

    def try_add(self, first, second, relation):
        """Add the row unless it breaks the cap or repeats a pair."""
        pair = frozenset((first, second))
        if (first == second or pair in self.used_pairs
                or self.first_counts[first] >= self.max_per_first):
            return False
        self.used_pairs.add(pair)
        self.first_counts[first] += 1
        self.rows.append((self.synsets[first].text,
                          self.synsets[second].text, relation))
        return True

    def add_related(self, hypernym_rows, hyponym_rows):
        """Rows from the direct hypernym links (child, parent), each link
        used once: as (child, parent) 'hypernym' or (parent, child)
        'hyponym'."""
        links = sorted({(key, parent)
                        for key, synset in self.synsets.items()
                        for parent in synset.hypernyms
                        if parent in self.synsets})
        self.rng.shuffle(links)
        wanted = {HYPERNYM: hypernym_rows, HYPONYM: hyponym_rows}
        for child, parent in links:
            if wanted[HYPERNYM] == 0 and wanted[HYPONYM] == 0:
                break
            # Alternate the direction by need; fall back to the other one.
            order = ((HYPERNYM, HYPONYM) if wanted[HYPERNYM] >= wanted[HYPONYM]
                     else (HYPONYM, HYPERNYM))
            for relation in order:
                if wanted[relation] == 0:
                    continue
                first, second = ((child, parent) if relation == HYPERNYM
                                 else (parent, child))
                if self.try_add(first, second, relation):
                    wanted[relation] -= 1
                    break
        if any(wanted.values()):
            sys.exit(f"not enough hypernym links for the rows: {wanted} short")

    def add_unrelated(self, rows):
        """Rows pairing a synset with a random synset of its lexicographer
        file that is not a direct hypernym or hyponym of it."""
        groups = collections.defaultdict(list)
        for key, synset in self.synsets.items():
            groups[(key[0], synset.lex_file)].append(key)
        # First synsets: those that have a hypernym or hyponym, like the
        # first synsets of the related rows.
        candidates = sorted(key for key, synset in self.synsets.items()
                            if synset.hypernyms or synset.hyponyms)
        attempts = 0
        while rows > 0:
            attempts += 1
            if attempts > 100 * len(candidates):
                sys.exit(f"could not draw {rows} more unrelated rows")
            first = self.rng.choice(candidates)
            synset = self.synsets[first]
            second = self.rng.choice(groups[(first[0], synset.lex_file)])
            if second in synset.hypernyms or second in synset.hyponyms:
                continue
            if self.try_add(first, second, UNRELATED):
                rows -= 1


def class_sizes(total):
    """Balanced class sizes summing to total."""
    base, extra = divmod(total, len(CLASSES))
    return [base + (1 if i < extra else 0) for i in range(len(CLASSES))]


def main():
    parser = argparse.ArgumentParser(
        description="Make a 3-class WordNet synset-pair relation CSV.")
    parser.add_argument("out", help="output CSV path")
    parser.add_argument("--wordnet-dir", default="/usr/share/wordnet",
                        help="directory of data.noun and data.verb")
    parser.add_argument("--rows", type=int, default=30000,
                        help="rows in total, balanced over the 3 classes")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--max-per-first", type=int, default=3,
                        help="rows a synset may be the first synset of")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    synsets = read_wordnet(args.wordnet_dir)
    hypernym_rows, hyponym_rows, unrelated_rows = class_sizes(args.rows)

    sampler = PairSampler(synsets, rng, args.max_per_first)
    sampler.add_related(hypernym_rows, hyponym_rows)
    sampler.add_unrelated(unrelated_rows)
    rows = sampler.rows
    rng.shuffle(rows)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(("first", "second", "relation"))
        writer.writerows(rows)

    counts = collections.Counter(relation for _, _, relation in rows)
    print(f"{len(synsets)} synsets; wrote {len(rows)} rows to {out}: "
          + ", ".join(f"{c} {counts[c]}" for c in CLASSES))


if __name__ == "__main__":
    main()
