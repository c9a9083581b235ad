#!/usr/bin/python3
"""The baseline a user would pick instead of qtnas: a TF-IDF word 1-2-gram linear SVM.

Reads DIR/train.jsonl, DIR/val.jsonl and DIR/test.jsonl (lines {"text": ..., "label": <int>}, and "text_pair"
for a sentence-pair task), chooses C on the validation split alone, refits nothing on validation or test, and
prints one JSON object: val and test accuracy, the chosen C, the seconds taken.
A pair (a, b) is represented as [tfidf(a), tfidf(b), tfidf(a) * tfidf(b)] with one vocabulary for both texts:
which text a word is in, and which words the two share (the elementwise product), as a linear model can use them.
C walks a grid from 1 and 3 (fitted side by side) toward higher validation accuracy until it drops: validation
accuracy is unimodal in C in practice, and each fit of WordNet's 94,030 texts takes most of a minute.

    /usr/bin/python3 data/tfidf_svm.py DIR

Needs Debian's python3-sklearn. Exit code 3 when scikit-learn is missing (the caller reports "unavailable").
"""
import json
import sys
import time

try:
    import numpy as np
    import scipy.sparse
    import sklearn
    from joblib import Parallel, delayed
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC
except ImportError:
    print("scikit-learn is not installed (Debian: python3-sklearn)", file=sys.stderr)
    sys.exit(3)

C_GRID = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            texts.append((row["text"], row["text_pair"]) if "text_pair" in row else row["text"])
            labels.append(row["label"])
    return texts, labels


def accuracy(model, x, y):
    return float((model.predict(x) == y).mean()) if len(y) else 0.0


def main(folder):
    start = time.time()
    (train_x, train_y), (val_x, val_y), (test_x, test_y) = (
        read(f"{folder}/{split}.jsonl") for split in ("train", "val", "test"))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    pairs = bool(train_x) and isinstance(train_x[0], tuple)
    if pairs:
        vectorizer.fit([a for a, _ in train_x] + [b for _, b in train_x])

        def features(rows):
            a = vectorizer.transform([a for a, _ in rows])
            b = vectorizer.transform([b for _, b in rows])
            return scipy.sparse.hstack([a, b, a.multiply(b)]).tocsr()

        train_m, val_m, test_m = features(train_x), features(val_x), features(test_x)
    else:
        train_m = vectorizer.fit_transform(train_x)
        val_m, test_m = vectorizer.transform(val_x), vectorizer.transform(test_x)
    train_y, val_y, test_y = np.array(train_y), np.array(val_y), np.array(test_y)

    def fit(c):
        model = LinearSVC(C=c).fit(train_m, train_y)
        return accuracy(model, val_m, val_y), c, model

    low, high = C_GRID.index(1.0), C_GRID.index(3.0)
    tried = dict(zip((low, high), Parallel(n_jobs=2)(delayed(fit)(C_GRID[i]) for i in (low, high))))
    step, i = (1, high) if tried[high][0] >= tried[low][0] else (-1, low)
    while 0 <= i + step < len(C_GRID):
        tried[i + step] = fit(C_GRID[i + step])
        if tried[i + step][0] <= tried[i][0]:
            break
        i += step
    best = max(tried.values(), key=lambda t: t[0])
    val, c, model = best
    method = "TF-IDF word 1-2-gram linear SVM" + (" on [a, b, a*b]" if pairs else "")
    print(json.dumps({"method": method, "val_accuracy": val,
                      "test_accuracy": accuracy(model, test_m, test_y), "C": c,
                      "C_tried": sorted(C_GRID[i] for i in tried),
                      "train_examples": len(train_y), "sklearn": sklearn.__version__,
                      "seconds": time.time() - start}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
