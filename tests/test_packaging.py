"""The package works installed from a wheel, away from the source checkout."""
import json
import os
import subprocess
import sys
import zipfile

import pytest

from aecourse.paths import course_root

ROOT = course_root()

IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import aecourse
names = sorted(m.name for m in pkgutil.walk_packages(aecourse.__path__, prefix="aecourse.")
               if not m.name.endswith("__main__"))
for name in names:
    importlib.import_module(name)
from aecourse import data
x, y = data.load("mnist", "test", n=10)
print(json.dumps({"file": aecourse.__file__, "modules": names, "shape": list(x.shape)}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", str(out), str(ROOT)], check=True, capture_output=True, text=True)
    [path] = out.glob("aecourse-*.whl")
    return path


@pytest.mark.slow
def test_the_wheel_holds_every_subpackage_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for package in ("aecourse/__init__.py", "aecourse/exercises/__init__.py", "aecourse/exercises/core.py",
                    "aecourse/grading/__init__.py", "aecourse/course/lint.py", "aecourse/results.py"):
        assert package in names
    assert not any(name.startswith(("tests/", "notebooks/", "data/", "benchmarks/")) for name in names)


@pytest.mark.slow
def test_an_installed_wheel_imports_everything_and_loads_data_from_aecourse_data(wheel, tmp_path):
    target, elsewhere = tmp_path / "site", tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, text=True)
    env = dict(os.environ, PYTHONPATH=str(target), AECOURSE_DATA=str(ROOT / "data"))
    env.pop("AECOURSE_ROOT", None)
    done = subprocess.run([sys.executable, "-c", IMPORT_EVERYTHING], cwd=elsewhere, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["file"].startswith(str(target))  # the wheel's copy, not the checkout
    assert "aecourse.exercises.nb01" in report["modules"] and "aecourse.course.lint" in report["modules"]
    assert report["shape"] == [10, 1, 28, 28]

    env.pop("AECOURSE_DATA")  # and without it, a clear message instead of a traceback from deep inside
    done = subprocess.run([sys.executable, "-c", "from aecourse import data; data.load('mnist')"], cwd=elsewhere,
                          env=env, capture_output=True, text=True)
    assert done.returncode != 0 and "AECOURSE_DATA=/path/to/aecourse/data" in done.stderr


@pytest.mark.parametrize("script", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda path: path.name)
def test_every_benchmark_script_imports(script):
    """The benchmarks run by hand (make benchmark, the instant-mode and recipe tables): their imports must hold."""
    import runpy

    runpy.run_path(str(script), run_name="imported_by_the_tests")  # module level only; main() is not called
