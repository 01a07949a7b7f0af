"""Without a browser, the student versions still run end to end (with one, test_browser.py runs them)."""
import shutil
from pathlib import Path

import nbformat
import pytest

from aecourse.paths import course_root

NOTEBOOKS = sorted((course_root() / "notebooks").glob("*.ipynb"))
BROWSER = Path(shutil.which("chromium") or "/usr/bin/chromium").exists()

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(BROWSER, reason="the browser tests run the student versions in JupyterLab")]


@pytest.mark.parametrize("name", [n.name for n in NOTEBOOKS])
def test_student_version_runs_to_the_end(student_versions, name, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("AECOURSE_PROFILE", "test")
    [path] = [p for p in student_versions if p.name == name]
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert "profile 'test'" in "".join(o.get("text", "") for o in outputs)  # the kernel ran the fast profile
