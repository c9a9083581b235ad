#!/usr/bin/python3
"""Example 2: an exported qtnas model in plain PyTorch, without qtnas.

    /usr/bin/python3 examples/classify.py MODEL.pt "a text" ["another text" ...]
    /usr/bin/python3 examples/classify.py PAIR_MODEL.pt "first text" "second text" [...]   # two by two

The file `qtnas export` writes is a TorchScript module with two extra files: qtnas_meta.json (label names, arch,
whether it classifies pairs) and tokenizer.model (the SentencePiece model it was trained with). Tokenise with
that model, then call the module's classify (texts) or classify_pairs (pairs) on the piece ids: the module adds
[CLS] and [SEP], cuts to its sequence length as training did, pads, and returns logits. Prints one line per
input: label, probability, text.

Needs Debian's python3-torch and python3-sentencepiece.
"""
import json
import sys

import sentencepiece
import torch


def load(path):
    extra = {"qtnas_meta.json": "", "tokenizer.model": ""}
    module = torch.jit.load(path, _extra_files=extra)
    meta = json.loads(extra["qtnas_meta.json"])
    tokenizer = sentencepiece.SentencePieceProcessor(model_proto=extra["tokenizer.model"])
    return module, meta, tokenizer


def classify(module, meta, tokenizer, texts):
    pieces = [tokenizer.encode(text) for text in texts]
    with torch.inference_mode():
        if meta.get("pairs", False):
            if len(pieces) % 2:
                raise SystemExit("this model classifies pairs of texts: give texts two by two")
            logits = module.classify_pairs(pieces[0::2], pieces[1::2])
        else:
            logits = module.classify(pieces)
    return torch.softmax(logits, dim=-1)


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    module, meta, tokenizer = load(argv[0])
    texts = argv[1:]
    probabilities = classify(module, meta, tokenizer, texts)
    step = 2 if meta.get("pairs", False) else 1
    for row, i in zip(probabilities, range(0, len(texts), step)):
        best = int(row.argmax())
        shown = "\t".join(texts[i:i + step])
        print(f"{meta['label_names'][best]}\t{row[best].item():.3f}\t{shown}")


if __name__ == "__main__":
    main(sys.argv[1:])
