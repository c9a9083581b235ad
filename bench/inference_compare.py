#!/usr/bin/python3
"""qtnas's exported subnet against the same architecture written in PyTorch eager, as a user would write it.

Runs with Debian's python3-torch (/usr/bin/python3). Given two qtnas exports of one arch, one with every layer
in FP32 and one with every layer in INT8 (`qtnas export --supernet S --arch A --out F`), it
  1. rebuilds the arch in eager PyTorch from the FP32 file's weights (separate q, k, v projections, nn.Linear and
     nn.LayerNorm modules: the usual BERT code), and INT8 from it with torch.ao.quantization.quantize_dynamic
     (per-channel qint8 weights, dynamic activations) on the onednn engine, as qtnas's INT8 layers are;
  2. checks that the outputs agree (same weights): max |logit difference| and argmax agreement;
  3. times the four modules in one process, interleaved in shuffled rounds, each timed forward after an untimed
     one, as qtnas profile does (latency_models/measure.h), and reports the 10th percentile and the median.

  /usr/bin/python3 bench/inference_compare.py FP32.pt INT8.pt [--batch 1 32] [--seq 64] [--threads 2]
      [--rounds 31] [--repeats 3] [--json OUT.json]
Prints a table; --json also writes every number. Ratios are qtnas / eager (below 1: qtnas is faster).
"""
import argparse
import json
import math
import os
import random
import statistics
import sys
import time

# As the qtnas executable runs (supernet/machine.h): LibTorch's threads with single-threaded OpenBLAS, and glibc
# keeping freed memory for reuse. Without the latter this Python process gets every large activation (8 MB at
# batch 32) as fresh pages, which made forwards of qtnas's and eager modules alike 25-45% slower (290 vs 210 ms).
_ENV = {"OPENBLAS_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": "4294967296", "MALLOC_TRIM_THRESHOLD_": "4294967296"}
if any(k not in os.environ for k in _ENV):  # glibc reads them at start: start again with them set
    os.execve(sys.executable, [sys.executable] + sys.argv, {**_ENV, **os.environ})
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class EagerLayer(nn.Module):
    def __init__(self, hidden, heads, head_dim, ffn):
        super().__init__()
        self.heads, self.head_dim = heads, head_dim
        inner = heads * head_dim
        if heads:
            self.attn_norm = nn.LayerNorm(hidden)
            self.query, self.key, self.value = (nn.Linear(hidden, inner) for _ in range(3))
            self.out = nn.Linear(inner, hidden)
        if ffn:
            self.ffn_norm = nn.LayerNorm(hidden)
            self.fc1, self.fc2 = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.ffn = ffn

    def split(self, t):
        b, n, _ = t.shape
        return t.view(b, n, self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, key_bias):
        if self.heads:
            h = self.attn_norm(x)
            q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
            scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim) + key_bias
            context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
            x = x + self.out(context)
        if self.ffn:
            x = x + self.fc2(F.gelu(self.fc1(self.ffn_norm(x))))
        return x


class EagerEncoder(nn.Module):
    """Pre-norm BERT-style encoder; classifies from the first token."""

    def __init__(self, space, arch):
        super().__init__()
        hidden, d = space["hidden"], space["head_dim"]
        self.tok = nn.Embedding(space["vocab_size"], hidden)
        self.pos = nn.Embedding(space["max_seq_len"], hidden)
        self.embedding_norm = nn.LayerNorm(hidden)
        self.layers = nn.ModuleList(EagerLayer(hidden, h, d, f) for h, f in arch)
        self.final_norm = nn.LayerNorm(hidden)
        self.classifier = nn.Linear(hidden, space["num_classes"])

    def forward(self, ids, pad):
        positions = torch.arange(ids.shape[1])
        x = self.embedding_norm(self.tok(ids) + self.pos(positions).unsqueeze(0))
        key_bias = pad.float().mul(-1e9).view(ids.shape[0], 1, 1, ids.shape[1])
        for layer in self.layers:
            x = layer(x, key_bias)
        return self.classifier(self.final_norm(x[:, 0]))


def parse_arch(text):
    """[(heads, ffn)] of the active layers of a qtnas arch string, with their indices."""
    out = []
    for i, layer in enumerate(text.split(",")):
        if layer == "skip":
            continue
        h, f, _, _ = layer.split("-")
        out.append((i, int(h[1:]), int(f[1:])))
    return out


def load_qtnas(path):
    extra = {"qtnas_meta.json": ""}
    module = torch.jit.load(path, _extra_files=extra).eval()
    return module, json.loads(extra["qtnas_meta.json"])


def eager_from(fp32_module, meta):
    """The eager encoder with the weights of qtnas's FP32 module (the sparse ones already expanded)."""
    space, layers = meta["space"], parse_arch(meta["arch"])
    model = EagerEncoder(space, [(h, f) for _, h, f in layers]).eval()
    w = {name: t for name, t in fp32_module.named_buffers()}

    def copy(target, name):
        target.weight.data.copy_(w[name + "_w"])
        target.bias.data.copy_(w[name + "_b"])

    model.tok.weight.data.copy_(w["tok_embedding"])
    model.pos.weight.data.copy_(w["pos_embedding"])
    copy(model.embedding_norm, "embedding_norm")
    for layer, (i, h, f) in zip(model.layers, layers):
        p = f"l{i}_"
        if h:
            copy(layer.attn_norm, p + "attn_norm")
            inner = h * space["head_dim"]
            for k, proj in enumerate((layer.query, layer.key, layer.value)):
                proj.weight.data.copy_(w[p + "qkv_w"][k * inner:(k + 1) * inner])
                proj.bias.data.copy_(w[p + "qkv_b"][k * inner:(k + 1) * inner])
            copy(layer.out, p + "out")
        if f:
            copy(layer.ffn_norm, p + "ffn_norm")
            copy(layer.fc1, p + "fc1")
            copy(layer.fc2, p + "fc2")
    copy(model.final_norm, "final_norm")
    copy(model.classifier, "classifier")
    return model


def quantized(model):
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    return quantize_dynamic(model, {nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def time_interleaved(modules, inputs, rounds, seed, budget_ms=1500):
    """{name: [ms]}: shuffled rounds, each timed forward right after an untimed one of the same module; fewer
    rounds (at least 5) when the slowest module would take more than budget_ms, as qtnas profile does."""
    rng = random.Random(seed)
    names = list(modules)
    samples = {n: [] for n in names}
    slowest = 0.0
    for n in names:
        modules[n](*inputs)
        start = time.perf_counter()
        modules[n](*inputs)
        slowest = max(slowest, (time.perf_counter() - start) * 1e3)
    rounds = max(min(5, rounds), min(rounds, int(budget_ms / slowest)))
    for _ in range(rounds):
        rng.shuffle(names)
        for n in names:
            modules[n](*inputs)
            start = time.perf_counter()
            modules[n](*inputs)
            samples[n].append((time.perf_counter() - start) * 1e3)
    return samples


def p10(v):
    return sorted(v)[len(v) // 10]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fp32")
    ap.add_argument("int8")
    ap.add_argument("--batch", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=31, help="at most; fewer for slow modules")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.backends.quantized.engine = "onednn"
    qtnas_fp32, meta = load_qtnas(args.fp32)
    qtnas_int8, meta8 = load_qtnas(args.int8)
    strip = lambda a: ",".join(l.rsplit("-", 1)[0] for l in a.split(","))  # noqa: E731
    if strip(meta["arch"]) != strip(meta8["arch"]):
        sys.exit(f"error: {args.fp32} and {args.int8} are not the same arch: {meta['arch']} vs {meta8['arch']}")
    eager_fp32 = eager_from(qtnas_fp32, meta)
    eager_int8 = quantized(eager_from(qtnas_fp32, meta))
    modules = {"qtnas_fp32": qtnas_fp32, "eager_fp32": eager_fp32, "qtnas_int8": qtnas_int8, "eager_int8": eager_int8}
    report = {"arch_fp32": meta["arch"], "arch_int8": meta8["arch"], "seq": args.seq, "threads": args.threads,
              "torch": torch.__version__, "rounds": args.rounds, "repeats": args.repeats, "batches": []}
    gen = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for batch in args.batch:
            ids = torch.randint(4, meta["space"]["vocab_size"], (batch, args.seq), generator=gen)
            pad = torch.zeros(batch, args.seq, dtype=torch.bool)
            out = {n: m(ids, pad) for n, m in modules.items()}
            agree = {p: {"max_abs_diff": float((out["qtnas_" + p] - out["eager_" + p]).abs().max()),
                         "argmax_agreement": float((out["qtnas_" + p].argmax(1) == out["eager_" + p].argmax(1))
                                                   .float().mean())} for p in ("fp32", "int8")}
            reps = []
            for r in range(args.repeats):
                s = time_interleaved(modules, (ids, pad), args.rounds, seed=r)
                reps.append({n: {"p10_ms": p10(v), "median_ms": statistics.median(v)} for n, v in s.items()})
            row = {"batch": batch, "agreement": agree, "repeats": reps}
            for p in ("fp32", "int8"):
                for stat in ("p10_ms", "median_ms"):
                    ratios = [x["qtnas_" + p][stat] / x["eager_" + p][stat] for x in reps]
                    row[f"ratio_{p}_{stat[:-3]}"] = {"median": statistics.median(ratios), "min": min(ratios),
                                                     "max": max(ratios)}
                for who in ("qtnas", "eager"):
                    v = [x[f"{who}_{p}"]["p10_ms"] for x in reps]
                    row[f"{who}_{p}_ms"] = {"median": statistics.median(v), "min": min(v), "max": max(v)}
            report["batches"].append(row)
    print(f"arch {meta['arch']} (fp32) / {meta8['arch']} (int8), seq {args.seq}, {args.threads} threads, "
          f"{args.repeats} repeats of {args.rounds} rounds; latency = 10th percentile, ratio = qtnas / eager")
    print("| batch | precision | qtnas ms | eager ms | ratio (median, min-max) | max abs logit diff | argmax agree |")
    print("|---|---|---|---|---|---|---|")
    for row in report["batches"]:
        for p in ("fp32", "int8"):
            q, e, r = row[f"qtnas_{p}_ms"], row[f"eager_{p}_ms"], row[f"ratio_{p}_p10"]
            a = row["agreement"][p]
            print(f"| {row['batch']} | {p} | {q['median']:.3f} | {e['median']:.3f} | {r['median']:.2f} "
                  f"({r['min']:.2f}-{r['max']:.2f}) | {a['max_abs_diff']:.2e} | {100 * a['argmax_agreement']:.0f}% |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
