#!/usr/bin/python3
"""Optuna's NSGA-II (NSGAIISampler) on the problems qtnas's searchers are benchmarked on, with the same decision
spaces and objectives, so that bench/search_quality.sh can compare them at equal numbers of evaluations.

Run with Debian's Python (python3-optuna), not pyenv's:
  /usr/bin/python3 bench/optuna_search.py zdt --problem zdt1 --seed 1 --population 40 --generations 15 \
      --bench build/bench/bench_search_quality
    -> JSON: the hypervolume of all evaluated points, scored by `bench_search_quality hv` (the C++ code that
       scores qtnas's runs) with the reference that `bench_search_quality zdt` uses.
  /usr/bin/python3 bench/optuna_search.py real --run-db qtnas_nsga2_seed1.sqlite --seed 1 --population 12 \
      --generations 5 --qtnas build/cli/qtnas --supernet ... --latency-model ... --val-subset 200
    -> JSON: every evaluated arch with accuracy, predicted latency and size, scored by a `qtnas score` pipe. The
       space and the latency budget are read from a qtnas search run database (--run-db), so both searches
       face the same problem. bench/search_quality_report.py computes the hypervolumes.
"""
import argparse
import json
import math
import random
import sqlite3
import subprocess
import sys
import time

import warnings

import optuna


def zdt_objectives(problem, levels, top):
    """ZDT1-3 (Zitzler, Deb, Thiele 2000) on the grid x_i = level_i / top, in the operation order of
    search/zdt.cpp so that the values agree to the last bit (checked by check_zdt against the C++)."""
    f1 = levels[0] / top
    total = 0.0
    for level in levels[1:]:
        total += level / top
    g = 1 + 9 * total / (len(levels) - 1)
    h = f1 / g
    if problem == "zdt1":
        return [f1, g * (1 - math.sqrt(h))]
    if problem == "zdt2":
        return [f1, g * (1 - h * h)]
    return [f1, g * (1 - math.sqrt(h) - h * math.sin(10 * math.pi * f1))]


def zdt_setup(bench, problem):
    """The decision space and reference the C++ benchmark uses, asked from it rather than repeated here."""
    out = subprocess.run([bench, "zdt", "--problem", problem, "--seeds", "1", "--population", "2",
                          "--generations", "1", "--json"], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["variables"], j["levels"], j["reference"]


def check_zdt(bench, problem, variables, levels):
    """Fails unless this file's ZDT gives the C++ values on random grid points and on the corners."""
    rng = random.Random(0)
    points = [[rng.randrange(levels) for _ in range(variables)] for _ in range(50)]
    points += [[0] * variables, [levels - 1] * variables, [levels - 1] + [0] * (variables - 1)]
    keys = "".join(",".join(map(str, p)) + "\n" for p in points)
    out = subprocess.run([bench, "zdt-eval", "--problem", problem], input=keys, check=True,
                         capture_output=True, text=True).stdout.split("\n")
    for p, line in zip(points, out):
        cpp = json.loads(line)
        py = zdt_objectives(problem, p, levels - 1)
        if any(abs(a - b) > 1e-12 * max(1.0, abs(b)) for a, b in zip(py, cpp)):
            sys.exit(f"optuna_search: {problem} differs from the C++ at {p[:4]}...: {py} vs {cpp}")


def hypervolume(bench, points, reference):
    """The hypervolume of `points` (all minimized), computed by search/hypervolume.h."""
    out = subprocess.run([bench, "hv", "--ref", ",".join(repr(float(r)) for r in reference)],
                         input=json.dumps(points), check=True, capture_output=True, text=True).stdout
    return json.loads(out)["hypervolume"]


def make_sampler(args, constraints_func=None):
    return optuna.samplers.NSGAIISampler(population_size=args.population, seed=args.seed,
                                         constraints_func=constraints_func)


def run_zdt(args):
    variables, levels, reference = zdt_setup(args.bench, args.problem)
    check_zdt(args.bench, args.problem, variables, levels)
    points = []

    def objective(trial):
        # suggest_int over 0..levels-1: the C++ grid exactly (x_i = level / (levels - 1)).
        chosen = [trial.suggest_int(f"x{i}", 0, levels - 1) for i in range(variables)]
        points.append(zdt_objectives(args.problem, chosen, levels - 1))
        return points[-1]

    start = time.time()
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=make_sampler(args))
    study.optimize(objective, n_trials=args.population * args.generations)
    return {"problem": args.problem, "method": "optuna_nsga2", "seed": args.seed,
            "population": args.population, "generations": args.generations, "trials": len(study.trials),
            "reference": reference, "hypervolume": hypervolume(args.bench, points, reference),
            "seconds": time.time() - start}


class Scorer:
    """A `qtnas score` process: one arch string in, one JSON line out. Each distinct arch is scored once."""

    def __init__(self, args, budget_ms):
        # Archs predicted over the budget are not evaluated for accuracy (see run_real).
        cmd = [args.qtnas, "score", "--supernet", args.supernet, "--latency-model", args.latency_model,
               "--val-subset", str(args.val_subset), "--threads", str(args.threads),
               "--skip-accuracy-over-ms", repr(budget_ms)]
        if args.allow_other_environment:
            cmd.append("--allow-other-environment")
        self.process = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.cache = {}

    def score(self, arch):
        if arch not in self.cache:
            self.process.stdin.write(arch + "\n")
            self.process.stdin.flush()
            line = self.process.stdout.readline()
            if not line:
                sys.exit(f"optuna_search: qtnas score ended (exit code {self.process.wait()}); see its message above")
            self.cache[arch] = json.loads(line)
        return self.cache[arch]

    def close(self):
        self.process.stdin.close()
        self.process.wait()


class ScoreFailed(Exception):
    pass


def layer_string(heads, ffn, sparsity, precision):
    # The canonical layer form of space/arch.h; a layer with neither heads nor FFN is skipped.
    return "skip" if heads == 0 and ffn == 0 else f"h{heads}-f{ffn}-s{sparsity}-{precision}"


def run_real(args):
    with sqlite3.connect(f"file:{args.run_db}?mode=ro", uri=True) as db:
        space_text, config_text = db.execute("SELECT space, config FROM run").fetchone()
    space = json.loads(space_text)
    budget_ms = json.loads(config_text)["search"]["latency_budget_ms"]
    scorer = Scorer(args, budget_ms)
    evaluated = []

    def objective(trial):
        layers = []
        for i in range(space["layers"]):
            heads = trial.suggest_categorical(f"heads{i}", list(range(space["max_heads"] + 1)))
            ffn = trial.suggest_categorical(f"ffn{i}", space["ffn_choices"])
            sparsity = trial.suggest_categorical(f"sparsity{i}", space["sparsity_pct_choices"])
            precision = trial.suggest_categorical(f"precision{i}", space["precisions"])
            layers.append(layer_string(heads, ffn, sparsity, precision))
        s = scorer.score(",".join(layers))
        trial.set_user_attr("arch", s["arch"])
        evaluated.append(s)
        if not s["ok"]:  # e.g. fewer active layers than the space's minimum: a failed trial, as in qtnas
            raise ScoreFailed(s["error"])
        trial.set_user_attr("latency_over_budget_ms", s["latency_ms"] - budget_ms)
        # An arch over the budget has no accuracy (qtnas score skipped it: on bf16 layers, which this CPU
        # emulates, one evaluation takes up to 20 s). Optuna's constrained domination compares infeasible trials
        # by their violation alone, so the 0 only matters between archs of exactly equal predicted latency, and
        # the hypervolume counts feasible points only.
        accuracy = s["accuracy"] if s["accuracy"] is not None else 0.0
        return accuracy, s["latency_ms"], s["size_bytes"]

    def constraints(trial):
        return [trial.user_attrs["latency_over_budget_ms"]]  # <= 0: feasible

    start = time.time()
    study = optuna.create_study(directions=["maximize", "minimize", "minimize"],
                                sampler=make_sampler(args, constraints))
    study.optimize(objective, n_trials=args.population * args.generations, catch=(ScoreFailed,))
    scorer.close()
    distinct = {e["arch"]: e for e in evaluated}
    return {"problem": "real", "method": "optuna_nsga2", "seed": args.seed, "population": args.population,
            "generations": args.generations, "trials": len(study.trials), "evaluations": len(distinct),
            "latency_budget_ms": budget_ms, "val_subset": args.val_subset, "candidates": list(distinct.values()),
            "seconds": time.time() - start}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("zdt", "real"):
        p = sub.add_parser(name)
        p.add_argument("--seed", type=int, required=True)
        p.add_argument("--population", type=int, required=True)
        p.add_argument("--generations", type=int, required=True)
    zdt = sub.choices["zdt"]
    zdt.add_argument("--problem", choices=["zdt1", "zdt2", "zdt3"], required=True)
    zdt.add_argument("--bench", required=True, help="build/bench/bench_search_quality")
    real = sub.choices["real"]
    real.add_argument("--run-db", required=True, help="a qtnas search run database: its space and budget")
    real.add_argument("--qtnas", required=True, help="build/cli/qtnas")
    real.add_argument("--supernet", required=True)
    real.add_argument("--latency-model", required=True)
    real.add_argument("--val-subset", type=int, required=True)
    real.add_argument("--threads", type=int, default=0)
    real.add_argument("--allow-other-environment", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # constraints_func
    print(json.dumps(run_zdt(args) if args.mode == "zdt" else run_real(args)))


if __name__ == "__main__":
    main()
