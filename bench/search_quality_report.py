#!/usr/bin/python3
"""Gathers the raw results of bench/search_quality.sh into DIR/search_quality.json and DIR/search_quality.md:
the hypervolume (HV) per problem and method, mean and sample std over seeds.

  /usr/bin/python3 bench/search_quality_report.py --raw DIR/raw --out DIR --bench build/bench/bench_search_quality \
      --qtnas build/cli/qtnas [--real-skipped-because "..."]

ZDT: the HVs are already computed (bench_search_quality zdt for qtnas, optuna_search.py zdt for Optuna).
Real problem: HV is computed here, identically for all three methods, from every evaluated candidate:
objectives (-accuracy, latency_ms / budget, size_bytes / size of the largest arch), reference (0, 1, 1), as
qtnas's own Scoring (runs/search_run.cpp); only feasible points (predicted latency within the budget) count.
qtnas runs are read from their run databases (runs/schema.sql), Optuna's from optuna_search.py's JSON.
"""
import argparse
import glob
import json
import os
import re
import sqlite3
import statistics
import subprocess

METHODS = [("qtnas_nsga2", "qtnas NSGA-II"), ("qtnas_random", "random"), ("optuna_nsga2", "Optuna NSGA-II")]
PROBLEMS = [("zdt1", "ZDT1"), ("zdt2", "ZDT2"), ("zdt3", "ZDT3"), ("real", "real")]


def hypervolume(bench, points, reference):
    out = subprocess.run([bench, "hv", "--ref", ",".join(repr(float(r)) for r in reference)],
                         input=json.dumps(points), check=True, capture_output=True, text=True).stdout
    return json.loads(out)["hypervolume"]


def summary(runs):
    hvs = [r["hypervolume"] for r in runs]
    return {"runs": sorted(runs, key=lambda r: r["seed"]), "n": len(hvs), "mean": statistics.mean(hvs),
            "std": statistics.stdev(hvs) if len(hvs) > 1 else 0.0}


def zdt_rows(raw):
    rows = {}
    for problem, _ in PROBLEMS[:3]:
        row = {}
        for searcher in ("nsga2", "random"):
            path = os.path.join(raw, f"zdt_{problem}_{searcher}.json")
            if os.path.exists(path):
                with open(path) as f:
                    j = json.load(f)
                row[f"qtnas_{searcher}"] = summary(j["runs"]) | {"reference": j["reference"]}
        optuna = []
        for path in glob.glob(os.path.join(raw, f"zdt_{problem}_optuna_seed*.json")):
            with open(path) as f:
                j = json.load(f)
            optuna.append({"seed": j["seed"], "evaluations": j["trials"], "hypervolume": j["hypervolume"],
                           "seconds": j["seconds"]})
        if optuna:
            row["optuna_nsga2"] = summary(optuna) | {"reference": j["reference"]}
        rows[problem] = row
    return rows


def read_run_db(path):
    """Budget, space, every subset-fidelity candidate, and the HV qtnas itself recorded for the last generation."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        config, space = db.execute("SELECT config, space FROM run").fetchone()
        rows = db.execute("SELECT arch, ok, accuracy, latency_pred_ms, size_bytes FROM candidates "
                          "WHERE fidelity = 'subset'").fetchall()
        last_hv = db.execute("SELECT hypervolume FROM generations ORDER BY generation DESC LIMIT 1").fetchone()
    candidates = [{"arch": a, "ok": bool(ok), "accuracy": acc, "latency_ms": lat, "size_bytes": size}
                  for a, ok, acc, lat, size in rows]
    return json.loads(config)["search"], json.loads(space), candidates, last_hv[0] if last_hv else None


def largest_size_bytes(qtnas, space):
    """The size of the space's largest (fp32) arch, from `qtnas arch`, the normalization of qtnas's Scoring."""
    cmd = [qtnas, "arch", "--largest", "--json", "--layers", str(space["layers"]), "--hidden", str(space["hidden"]),
           "--heads", str(space["max_heads"]), "--head-dim", str(space["head_dim"]),
           "--ffn-choices", ",".join(map(str, space["ffn_choices"])),
           "--sparsity-choices", ",".join(map(str, space["sparsity_pct_choices"])),
           "--precisions", ",".join(space["precisions"]), "--min-active-layers", str(space["min_active_layers"]),
           "--vocab-size", str(space["vocab_size"]), "--seq-len", str(space["max_seq_len"]),
           "--num-classes", str(space["num_classes"])]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)["archs"][0]["size_bytes"]


def real_hypervolume(bench, candidates, budget_ms, size_ref):
    points = [[-c["accuracy"], c["latency_ms"] / budget_ms, c["size_bytes"] / size_ref]
              for c in candidates if c["ok"] and c["latency_ms"] <= budget_ms]
    return hypervolume(bench, points, [0.0, 1.0, 1.0]), len(points)


def real_row(raw, bench, qtnas):
    dbs = sorted(glob.glob(os.path.join(raw, "real_*_seed*.sqlite")))
    if not dbs:
        return {}, {}
    budgets, runs = set(), {m: [] for m, _ in METHODS}
    size_ref = None
    for path in dbs:
        searcher, seed = re.search(r"real_(\w+)_seed(\d+)\.sqlite$", path).groups()
        search, space, candidates, db_hv = read_run_db(path)
        budgets.add(search["latency_budget_ms"])
        size_ref = size_ref or largest_size_bytes(qtnas, space)
        hv, feasible = real_hypervolume(bench, candidates, search["latency_budget_ms"], size_ref)
        runs[f"qtnas_{searcher}"].append({"seed": int(seed), "evaluations": len(candidates), "feasible": feasible,
                                          "hypervolume": hv, "hypervolume_recorded_by_qtnas": db_hv})
    for path in glob.glob(os.path.join(raw, "real_optuna_seed*.json")):
        with open(path) as f:
            j = json.load(f)
        budgets.add(j["latency_budget_ms"])
        hv, feasible = real_hypervolume(bench, j["candidates"], j["latency_budget_ms"], size_ref)
        runs["optuna_nsga2"].append({"seed": j["seed"], "trials": j["trials"], "evaluations": j["evaluations"],
                                     "feasible": feasible, "hypervolume": hv, "seconds": j["seconds"]})
    if len(budgets) != 1:
        raise SystemExit(f"search_quality_report: the real-problem runs used different budgets: {budgets}")
    # Random search keeps every candidate, so its recorded last-generation HV must be the one computed here: a
    # check that this file normalizes as qtnas does.
    for r in runs["qtnas_random"]:
        recorded = r["hypervolume_recorded_by_qtnas"]
        if recorded is not None and abs(recorded - r["hypervolume"]) > 1e-9 * max(1.0, recorded):
            raise SystemExit(f"search_quality_report: random seed {r['seed']}: HV {r['hypervolume']} here, "
                             f"{recorded} recorded by qtnas")
    reference = {"accuracy": 0.0, "latency_ms": budgets.pop(), "size_bytes": size_ref}
    return {m: summary(r) | {"reference": reference} for m, r in runs.items() if r}, reference


def cell(entry):
    if not entry:
        return "n/a"
    return f"{entry['mean']:.4f} ± {entry['std']:.4f} ({entry['n']} seeds)"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--raw", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--qtnas", required=True)
    parser.add_argument("--settings", default="{}", help="JSON of the settings used, copied into the report")
    parser.add_argument("--real-skipped-because", default="")
    args = parser.parse_args()

    rows = zdt_rows(args.raw)
    rows["real"], real_reference = real_row(args.raw, args.bench, args.qtnas)
    report = {"settings": json.loads(args.settings), "problems": rows,
              "real_reference": real_reference, "real_skipped_because": args.real_skipped_because or None}
    with open(os.path.join(args.out, "search_quality.json"), "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")

    lines = ["| problem | " + " | ".join(name for _, name in METHODS) + " |",
             "|---|" + "---|" * len(METHODS)]
    for key, name in PROBLEMS:
        lines.append(f"| {name} | " + " | ".join(cell(rows[key].get(m)) for m, _ in METHODS) + " |")
    lines += ["", "Hypervolume of all evaluated points' nondominated set, mean ± sample std over seeds; larger is "
              "better. ZDT: 30 variables on a grid of 1000 levels, reference (1.1, 11). Real: objectives "
              "(-accuracy, latency / budget, size / largest arch's size), reference (0, 1, 1), feasible points "
              "only" + (f" (budget {real_reference['latency_ms']:.3f} ms)." if real_reference else ".")]
    if rows["real"]:
        lines.append("Real problem, feasible points per run (mean over seeds) of the evaluations: " + ", ".join(
            f"{name} {statistics.mean(r['feasible'] for r in rows['real'][m]['runs']):.1f} of "
            f"{statistics.mean(r['evaluations'] for r in rows['real'][m]['runs']):.1f}"
            for m, name in METHODS if m in rows["real"]) + ".")
    if args.real_skipped_because:
        lines.append(f"Real problem skipped: {args.real_skipped_because}")
    with open(os.path.join(args.out, "search_quality.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
