"""What a user sees: a smoke study's whole console output, and the TensorBoard files it leaves,
read back with TensorBoard's own reader."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_script


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    storage = tmp_path_factory.mktemp("console")
    done = run_script("regularization", "--profile", "smoke", "--storage-path", str(storage))
    assert done.returncode == 0, done.stderr[-2000:]
    return done, storage / "regularization"


def test_console_is_short_and_ends_with_the_findings(smoke_run):
    done, folder = smoke_run
    lines = done.stdout.rstrip("\n").splitlines()
    assert len(lines) < 60, f"{len(lines)} lines:\n{done.stdout}"
    assert max(len(ln) for ln in lines) <= 100, max(lines, key=len)  # a 100-column terminal, no wrapping
    assert lines[0].startswith("regularization (smoke): 7 arms x 1 seeds, 14 trials")  # what is starting
    assert not any(marker in done.stdout for marker in ("╭", "Trial status:", "Checkpoint successfully",
                                                        "snapshotting", "tensorboard --logdir /tmp/ray"))
    # one progress line per (arm, seed) group, the last one with every trial done
    progress = [ln for ln in lines if re.match(r"\[\s*\d+/\d+ \d+:\d\d", ln)]
    assert len(progress) == 7 and progress[-1].startswith("[14/14 "), progress
    assert all("best val_acc" in ln and "lr=" in ln for ln in progress)
    # each group line names the trial the table uses (trials.parquet's `chosen`)
    trials = pd.read_parquet(folder / "trials.parquet")
    for ln in progress:
        arm, seed, lr = re.search(r"\] (\w+) seed (\d+): lr=([0-9.e-]+) chosen", ln).groups()
        row = trials[(trials["arm"] == arm) & (trials["seed"] == int(seed)) & trials["chosen"]]
        assert len(row) == 1 and row["config/lr"].iloc[0] == pytest.approx(float(lr)), ln
    # table first, then the outputs, and the verdicts are the very last thing printed: one line
    # per finding of findings.md, with the same verdict
    rows = [ln for ln in (folder / "findings.md").read_text().split("## Checks")[0].splitlines()
            if ln.startswith("| ") and "**" in ln]
    brief = [ln for ln in lines[-len(rows) - 2:-1] if not ln.startswith("  * ")][-len(rows):]
    assert len(rows) > 3 and len(brief) == len(rows)
    for row, line in zip(rows, brief):
        claim, verdict = row.split(" | ")[0].lstrip("| "), row.split(" | ")[1].strip("*")
        shown = re.split(r"\s{2,}", line.strip())[-1].rstrip("…")
        assert line.split()[0].rstrip("*") == verdict.split()[0] and claim.startswith(shown), (row, line)
    assert re.match(r"  \d+ reproduced, \d+ not reproduced, \d+ inconclusive; checks: ", lines[-1])
    assert done.stdout.index("# Table 1") < done.stdout.index("outputs in") < done.stdout.index("# Findings")
    assert done.stderr.strip() == "", done.stderr


def test_tensorboard_shows_the_study(smoke_run):
    from tensorboard.backend.event_processing import event_accumulator as ea
    from tensorboard.plugins.hparams import plugin_data_pb2
    _, folder = smoke_run
    runs = sorted({p.parent for p in folder.glob("*/events.out.tfevents.*")})
    assert len(runs) == 14
    # Tune's loggers are JSON (the analysis reads it) and ours; its CSV logger is off
    assert all((r / "result.json").exists() and not (r / "progress.csv").exists() for r in runs)
    # run names say arm, nuisance setting and seed, the setting first (TensorBoard cuts at the end)
    assert all(re.match(r"[a-z_]+_lr=[0-9.e-]+_seed0_", r.name) for r in runs), [r.name for r in runs]
    statuses, chosen = set(), {}
    for run in runs:
        acc = ea.EventAccumulator(str(run), size_guidance={ea.SCALARS: 0})
        acc.Reload()
        tags = acc.Tags()["scalars"]
        assert tags and "1_study/val_acc" in tags and "1_study/best_val_acc" in tags
        assert not any(t.endswith(("/done", "/should_checkpoint", "/iterations_since_restore")) for t in tags)
        assert sorted(tags)[0].startswith("1_study/")  # the study's metric sorts first
        steps = [e.step for e in acc.Scalars("1_study/val_acc")]
        assert steps == list(range(1, len(steps) + 1))  # step = epoch
        best = acc.Scalars("hparams/best_val_acc")[-1].value
        assert best == pytest.approx(max(e.value for e in acc.Scalars("1_study/val_acc")), abs=1e-6)
        start = acc.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        info = plugin_data_pb2.HParamsPluginData.FromString(start).session_start_info
        hp = {k: (v.string_value or v.number_value or v.bool_value) for k, v in info.hparams.items()}
        # the same names in every trial: arm, seed, chosen, the nuisance setting (and its log10),
        # each arm setting, status; the first five (what TensorBoard shows by default) tell trials apart
        assert {"arm", "seed", "chosen", "lr", "log10_lr", "status", "augment", "dropout", "batch_norm",
                "zero_init"} <= set(hp)
        experiment = plugin_data_pb2.HParamsPluginData.FromString(
            acc.PluginTagToContent("hparams")["_hparams_/experiment"]).experiment
        assert [h.name for h in experiment.hparam_infos][:5] == ["arm", "seed", "chosen", "log10_lr", "lr"]
        assert hp["arm"] in run.name and hp["log10_lr"] == pytest.approx(np.log10(hp["lr"]), abs=1e-4)
        statuses.add(hp["status"])
        chosen[run.name] = info.hparams["chosen"].bool_value
    assert "completed" in statuses and "stopped_early" in statuses
    # the trials TensorBoard marks chosen are those trials.parquet marks, one per (arm, seed)
    trials = pd.read_parquet(folder / "trials.parquet")
    assert {r for r, c in chosen.items() if c} == set(trials.loc[trials["chosen"], "folder"]) != set()


def test_an_errored_trial_is_one_line_of_ours_not_rays_traceback():
    import logging

    from studies import console
    console.quiet_ray(verbose=False)
    tune_log = logging.getLogger("ray.tune.execution.tune_controller")
    said = logging.LogRecord("ray.tune.execution.tune_controller", logging.ERROR, __file__, 1,
                             "Trial task failed for trial %s", ("train_cnn_0001",), None)
    other = logging.LogRecord("ray.tune.execution.tune_controller", logging.ERROR, __file__, 1,
                              "Could not re-use actor for trial %s", ("train_cnn_0001",), None)
    assert not tune_log.filter(said)   # the traceback stays in the trial's error.txt
    assert tune_log.filter(other)      # anything else Tune says still gets through
