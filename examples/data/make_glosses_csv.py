#!/usr/bin/python3
"""Writes examples/data/glosses.csv, the stand-in for "a user's own CSV" of examples/csv_to_model.sh.

Four WordNet noun categories (animal, plant, food, artifact), 250 synsets each, taken at even strides through
Debian's wordnet-base so that the file is the same on every machine. Columns: word, definition, category. The
definitions keep WordNet's commas, semicolons and quoted usage examples, so the file needs CSV quoting.

    /usr/bin/python3 examples/data/make_glosses_csv.py [/usr/share/wordnet] > examples/data/glosses.csv
"""
import csv
import sys

CATEGORIES = {"05": "animal", "20": "plant", "13": "food", "06": "artifact"}
PER_CATEGORY = 250


def synsets(wordnet_dir):
    with open(f"{wordnet_dir}/data.noun", encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):  # the license header
                continue
            fields, _, gloss = line.partition(" | ")
            parts = fields.split()
            yield parts[1], parts[4].replace("_", " "), gloss.strip()


def main(wordnet_dir):
    by_category = {name: [] for name in CATEGORIES.values()}
    for lex_file, word, gloss in synsets(wordnet_dir):
        if lex_file in CATEGORIES:
            by_category[CATEGORIES[lex_file]].append((word, gloss))
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["word", "definition", "category"])
    for category, rows in by_category.items():
        stride = len(rows) // PER_CATEGORY
        for word, gloss in rows[::stride][:PER_CATEGORY]:
            writer.writerow([word, gloss, category])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/wordnet")
