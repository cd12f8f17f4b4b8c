"""The README's "Adding a study" is true: a 12th study written here (a trainable of a few lines, its
search space, study script and report module, one registry line), in a copy of the project's code,
passes the contract, runs in the smoke profile through Ray and appears on the report page, with no
other file touched. And the import layers (`make lint`'s import-linter contracts) refuse an
upward import in that copy."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("trainables", "search_spaces", "analysis", "studies", "benchmarks")

NEW_FILES = {
    # a linear model of y = 2x + noise; the two arms differ in their batch size
    "trainables/toy.py": '''
import numpy as np
import torch

from trainables.data.dataset import Data
from trainables.loop import Run, trainable


def load_line(config: dict) -> Data:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 1)).astype(np.float32)
    return Data({"x": x, "y": 2 * x + 0.1 * rng.normal(size=x.shape).astype(np.float32)},
                name="a noisy line y = 2x (toy)", source="tests/test_new_study.py")


@trainable({"epochs": 3, "lr": 0.1, "batch": 32}, load_line)
def train_line(run: Run) -> None:
    x, y = (torch.from_numpy(run.data.arrays[k]) for k in ("x", "y"))
    model = torch.nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=run.config["lr"])
    run.track(model=model, optimizer=opt)
    for _ in run.epochs():
        for i in range(0, 192, int(run.config["batch"])):
            run.step(opt, torch.nn.functional.mse_loss(model(x[i:i + int(run.config["batch"])]), y[i:i + int(run.config["batch"])]))
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(x[192:]), y[192:]).item()
        run.report({"val_mse": val}, finite=(val,))


train_line.metrics = {"val_mse": "min"}
''',
    "search_spaces/toy.py": '''
from search_spaces.space import LogUniform, Nuisance, Space, pick


def space(profile: str, search: str = "grid") -> Space:
    return Space(arms={"small_batch": {"batch": 8}, "large_batch": {"batch": 64}},
                 fixed={"epochs": pick(profile, smoke=2, local=3, full=5)},
                 nuisance={"lr": Nuisance(grid=[0.03, 0.1], dist=LogUniform(0.01, 0.3))}, seeds=2)
''',
    "studies/toy.py": '''
from search_spaces import toy
from studies.runner import Study, main
from trainables.toy import load_line, train_line

STUDY = Study("toy", train_line, toy.space, load_line, metric="val_mse", mode="min")

if __name__ == "__main__":
    main(STUDY)
''',
    "analysis/report/toy.py": '''
from analysis.claims import F
from analysis.findings import lower
from analysis.report import NON_NEGATIVE, Column, ReportSpec

CLAIMS = (F("higher learning rate will result in faster convergence of training", "Section 1",
            "toy: small batches (more steps per epoch) reach a lower validation MSE", "small_batch_lower"),)


def findings(s):
    return {"small_batch_lower": lower("Small batches reach a lower validation MSE (toy)", s, "small_batch",
                                       "large_batch", "final_val_mse", 0.001, "0.001: a toy's margin", unit="MSE")}


SPEC = ReportSpec(study="toy", title="Toy: validation MSE per batch size", claims=CLAIMS,
                  columns=[Column("val. MSE", "final_val_mse", fmt=".4f", bounds=NON_NEGATIVE)],
                  findings=findings)
''',
}
REGISTRY_LINE = 'STUDIES += ("toy",)\n'


def copy_project(to: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, to / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", to / "pyproject.toml")
    return to


def in_copy(project: Path, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=project, env={**_env(), "PYTHONPATH": str(project)}, capture_output=True,
                          text=True, timeout=timeout)


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("project"))
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    for path, text in NEW_FILES.items():
        (project / path).write_text(text.lstrip())
    with (project / "studies/registry.py").open("a") as f:
        f.write(REGISTRY_LINE)
    changed = [p for p, b in before.items() if p.read_bytes() != b]
    assert [p.relative_to(project).as_posix() for p in changed] == ["studies/registry.py"]
    return project


@pytest.mark.ray
def test_a_new_study_is_four_files_and_one_registry_line(project, tmp_path):
    py = sys.executable
    checked = in_copy(project, py, "-m", "studies.cli", "check", "toy")
    assert checked.returncode == 0 and checked.stdout.strip() == "toy: ok", checked.stderr

    storage = tmp_path / "results"
    ran = in_copy(project, py, "studies/toy.py", "--profile", "smoke", "--storage-path", str(storage), "-q")
    assert ran.returncode == 0, ran.stderr[-2000:]
    table = (storage / "toy" / "table.csv").read_text()
    assert "small_batch" in table and "large_batch" in table

    page = in_copy(project, py, "-m", "studies.report", "--profile", "smoke", "--no-run", "--studies", "toy",
                   "--storage-path", str(storage), "--out", str(tmp_path / "report"))
    assert page.returncode == 0, page.stderr[-2000:]
    html = (tmp_path / "report" / "index.html").read_text()
    assert "Toy: validation MSE per batch size" in html
    assert "Small batches reach a lower validation MSE (toy)" in html
    # the claim module tied the finding to its quote
    assert "«higher learning rate will result in faster convergence of training»" in \
        (storage / "toy" / "findings.md").read_text()


def test_an_upward_import_fails_the_layer_contract(project):
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    kept = in_copy(project, lint, timeout=120)
    assert kept.returncode == 0, kept.stdout[-2000:]
    toy = project / "trainables/toy.py"
    original = toy.read_text()
    try:
        toy.write_text(original + "\nfrom studies import registry  # an upward import\n")
        broken = in_copy(project, lint, timeout=120)
    finally:
        toy.write_text(original)
    assert broken.returncode != 0
    assert "trainables.toy -> studies.registry" in broken.stdout
