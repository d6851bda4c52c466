"""The planner notebooks run, top to bottom, on the embedded data (a real Jupyter kernel)."""

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_notebooks_are_numbered_without_gaps():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert NOTEBOOKS[0].name == "00-quickstart.ipynb"
    assert numbers == list(range(len(NOTEBOOKS)))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_clean(path):
    nb = json.loads(path.read_text("utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None
        assert "/work/" not in "".join(cell["source"]) and "/home/" not in "".join(cell["source"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "Traceback" not in text
    # an inline map is the same offline page as the saved file: nothing from a host
    pages = [o["data"]["text/html"] for c in nb.cells if c.cell_type == "code" for o in c.outputs
             if o.output_type == "execute_result" and "text/html" in o.get("data", {})
             and "ordos-data" in o["data"]["text/html"]]
    if path.name == "03-publish.ipynb":
        assert pages, "the publishing notebook shows its map inline"
    for html in pages:
        assert html.startswith("<iframe srcdoc=")
        assert "https://cdn" not in html and "unpkg.com" not in html and "jsdelivr" not in html
        assert "connect-src &#x27;none&#x27;" in html
