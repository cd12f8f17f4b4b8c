"""The benchmarks' tooling and the checkpoint policy they chose, through real Ray Tune runs.
Speed targets live in benchmarks/RESULTS.md only: nothing here asserts a time."""
from __future__ import annotations

import json

import pytest

from search_spaces.space import Space
from studies.runner import rung_epochs
from tests.conftest import run_study


def test_rung_epochs_are_the_per_arm_schedulers_selection_rung():
    # PerArmASHA stops trials only at its one selection rung (grace_epochs, clipped to the budget)
    for grace, epochs, rung in ((1, 2, 1), (2, 8, 2), (5, 30, 5), (50, 20, 20)):
        space = Space(arms={}, fixed={"epochs": epochs}, grace_epochs=grace)
        assert rung_epochs(space) == [rung]


def test_checkpoints_only_at_the_rung_and_the_last_epoch(ray_local, tmp_path):
    # smoke lr_sweep, 5 epochs: the selection rung is epoch 1, so epochs 2-4 go without
    out = run_study("lr_sweep", tmp_path, "--scheduler", "fifo", "--set", "epochs=5")
    for folder in (p.parent for p in out.glob("*/params.json")):
        rows = [json.loads(line) for line in (folder / "result.json").read_text().splitlines()]
        saved = [r["epoch"] for r in rows if r.get("checkpoint_dir_name")]
        last = rows[-1]["epoch"]  # 5, or earlier if the loss diverged
        assert saved == [e for e in (1,) if e < last] + [last], (folder.name, saved)
        assert len(list(folder.glob("checkpoint_*"))) == len(saved[-2:])  # num_to_keep=2


def test_scale_and_the_report_it_writes(ray_local):
    from benchmarks import report, scale
    rows = [scale.measure(n, slots=2, reports=2) for n in (2, 6)]
    assert [r["trials"] for r in rows] == [2, 6]
    for r in rows:
        assert r["results_per_s"] == pytest.approx(r["trials"] * 2 / r["wall_s"])
        assert r["overhead_slot_s_per_trial"] == pytest.approx(r["wall_s"] * 2 / r["trials"])
    text = report.render({"scale": {"machine": "Machine: test.", "value": rows}})
    marginal = (rows[1]["wall_s"] - rows[0]["wall_s"]) / 4
    assert "| 6 | " in text and "1.14x" in text
    assert f"Cost as the work grows: 2 -> 6 trials: {marginal:.3f} s per added trial" in text


def test_the_launch_floor_and_the_note_it_gives(ray_local):
    """benchmarks/launch.py on real Ray: two fits of trivial trainables (one importing torch), and
    the targets' note built from them beside an overhead run's split."""
    from benchmarks import launch, report
    floor = launch.measure(slots=2)
    assert floor["floor_worker_s"] > 0 and floor["floor_torch_s"] > 0
    assert floor["torch_import_s"] == pytest.approx(floor["floor_torch_s"] - floor["floor_worker_s"])
    row = {"ratio_fit_vs_parallel": 1.1, "first_result_s": 6.0, "before_fit_s": 0.3, "to_first_trial_s": 3.0,
           "first_trial_to_result_s": 2.7, "trial_start_cost_s": 0.6, "fit_s": 40.0, "bare_parallel_s": 36.0,
           "slots": 2, "trials": 14, "epochs": 4, **floor, "epoch_s": 1.25,
           "floor_first_result_s": 0.3 + floor["floor_torch_s"] + 1.25,
           "ratio_fit_less_floor": (40.0 - floor["floor_torch_s"]) / 36.0}
    text = report.render({"overhead": {"machine": "Machine: test.", "value": [row]}})
    note = next(ln for ln in text.splitlines() if ln.startswith("The floor under both"))
    assert f"no study's first result can come before {row['floor_first_result_s']:.2f} s" in note
    assert f"Tune adds {6.0 - row['floor_first_result_s']:.2f} s above it" in note
    assert f"fit / bare loop side by side is {row['ratio_fit_less_floor']:.3f}" in note


@pytest.mark.ray
def test_the_studies_part_times_make_reports_own_path(tmp_path):
    """The studies part runs the report builder (a study process each) into its storage and
    reads back each study's wall time, trials and epochs; the page is built there too."""
    from benchmarks import report, studies
    run = studies.measure("smoke", ["lr_sweep"], str(tmp_path))
    row, = run["rows"]
    assert row["study"] == "lr_sweep" and row["trials"] == 2 and row["epochs"] >= 2
    assert 0 < row["study_wall_s"] <= row["wall_s"] + 1 <= run["total_s"] + 1
    assert (tmp_path / "report" / "index.html").exists() and (tmp_path / "lr_sweep" / "trials.parquet").exists()
    text = report.render({"studies": {"machine": "Machine: test.", "value": run}})
    target = next(ln for ln in text.splitlines() if ln.startswith("| `make report`"))
    assert target.endswith("| no |") and "(1 studies only)" in target  # one study is not the whole report
    assert f"| lr_sweep | {row['wall_s']:.1f} | " in text
    # what it settled, per machine-minute, and how busy the slots were (the run's report_run.json)
    assert run["findings"] > 0 and 0 <= run["settled"] <= run["findings"] and run["usage"]["slots"] > 0
    per = next(ln for ln in text.splitlines() if ln.startswith("| machine-minutes per settled finding"))
    assert f"| {run['total_s'] / 60 / max(run['settled'], 1):.2f} (" in per
    share = next(ln for ln in text.splitlines() if ln.startswith("| slot-seconds inside trials"))
    assert f"| {run['usage']['share_in_trials']:.3f} (fixed design) |" in share


@pytest.mark.parametrize("args, message", [
    (["scale", "--trials", "0,10"], "sizes must be > 0"),
    (["studies", "--only", "nope"], "unknown study nope"),
    (["bogus"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    from benchmarks.__main__ import parse
    with pytest.raises(SystemExit) as exit_:
        parse(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and message in err[0], err
