"""Instant mode's payoff: each notebook run twice with AECOURSE_INSTANT=1 into a fresh cache.

The first run trains and fills the cache, the second loads every ``fit`` from it. Prints both
times and their ratio (the lecture issue asks for at most 25 % in the laptop profile).

    .venv/bin/python benchmarks/instant.py 01 02 03 04     # about 20 minutes on a 2-core CPU
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(notebook, cache, out):
    env = dict(os.environ, AECOURSE_INSTANT="1", AECOURSE_CACHE_DIR=str(cache), AECOURSE_LIVE="0",
               AECOURSE_PROFILE=os.environ.get("AECOURSE_PROFILE", "laptop"), TQDM_DISABLE="1")
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                           "--ExecutePreprocessor.timeout=7200", "--output-dir", str(out), str(notebook)],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{notebook.name} failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - start


def main(numbers):
    print(f"{'notebook':36} {'first (s)':>10} {'second (s)':>11} {'second / first':>15}")
    for number in numbers:
        [notebook] = (ROOT / "notebooks").glob(f"{number}_*.ipynb")
        with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
            first, second = run(notebook, Path(cache), Path(out)), run(notebook, Path(cache), Path(out))
        print(f"{notebook.stem:36} {first:10.0f} {second:11.0f} {second / first:14.0%}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:] or ["01", "02", "03", "04"])
