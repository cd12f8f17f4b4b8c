"""TensorBoard files that show the study, in place of Ray's default TBX logger.

Scalars: the study's metric first (`1_study/`), the trainable's other metrics next (`2_metrics/`),
Tune's bookkeeping last (`3_tune/`, only the timings; done/should_checkpoint/... are dropped).
Step = epoch. HParams (`write_hparams`, once the analysis has chosen): the same names in every
study (`arm`, `seed`, `chosen`, each nuisance setting, a rate also as its log10, each arm setting
as the trainable sees it, `status`), and as metrics the best value of the study's metric, the epoch
of that best, its final value, the epochs run and a status code. Images
(`images/<tag>`, step = epoch): the previews a trainable keeps at a few epochs
(trainables/previews.py), read from the checkpoint they travel in (trainables/tune_session.py)."""
from __future__ import annotations

import io
import math

from ray.tune.logger import TBXLoggerCallback

from trainables.session import IMAGES_FILE, read_images

BOOKKEEPING = ("time_this_iter_s", "time_total_s")
HIDDEN = {"epoch", "done", "done_training", "should_checkpoint", "training_iteration", "trial_id",
          "iterations_since_restore", "time_since_restore", "timestamp", "pid", "node_ip",
          "hostname", "node_id", "date", "checkpoint_dir_name", "config", "diverged", "early_stopped",
          "timesteps_total", "episodes_total", "timesteps_since_restore", "experiment_tag"}
STATUS_CODE = {"completed": 0, "stopped_early": 1, "diverged": 2, "errored": 3}


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def scalars(result: dict, metric: str) -> dict:
    """tag -> value for one epoch's result."""
    out = {}
    for key, value in result.items():
        if key in HIDDEN or not _number(value):
            continue
        group = "1_study" if key == metric else "3_tune" if key in BOOKKEEPING else "2_metrics"
        out[f"{group}/{key}"] = float(value)
    return out


def checkpoint_images(checkpoint) -> tuple[int, dict] | None:
    """(epoch, {tag: image}) kept in a Tune checkpoint (on any storage), or None."""
    from pyarrow.fs import FileType
    path = f"{checkpoint.path.rstrip('/')}/{IMAGES_FILE}"
    if checkpoint.filesystem.get_file_info(path).type == FileType.NotFound:
        return None
    with checkpoint.filesystem.open_input_file(path) as f:
        return read_images(io.BytesIO(f.read()))


class StudyTBXLogger(TBXLoggerCallback):
    def __init__(self, metric: str, mode: str):
        super().__init__()
        self.metric, self.mode = metric, mode
        self._best: dict = {}

    def log_trial_result(self, iteration, trial, result):
        if trial not in self._trial_writer:
            self.log_trial_start(trial)
        step = int(result.get("epoch") or result.get("training_iteration") or iteration)
        writer = self._trial_writer[trial]
        for tag, value in scalars(result, self.metric).items():
            writer.add_scalar(tag, value, global_step=step)
        value = result.get(self.metric)
        if _number(value):
            best = self._best.get(trial)
            if best is None or (value > best if self.mode == "max" else value < best):
                self._best[trial] = float(value)
            writer.add_scalar(f"1_study/best_{self.metric}", self._best[trial], global_step=step)
        self._trial_result[trial] = result  # non-empty: the parent then writes HParams at the end
        writer.flush()

    def on_checkpoint(self, iteration, trials, trial, checkpoint, **info):
        found = checkpoint_images(checkpoint)
        if not found:
            return
        ended = trial not in self._trial_writer  # a last checkpoint after the trial's end
        if ended:
            self.log_trial_start(trial)
        epoch, images = found
        writer = self._trial_writer[trial]
        for tag, image in images.items():
            writer.add_image(f"images/{tag}", image, global_step=epoch, dataformats="HWC")
        writer.flush()
        if ended:
            writer.close()
            del self._trial_writer[trial]
            self._trial_result.pop(trial, None)

    def log_trial_end(self, trial, failed: bool = False):
        if trial not in self._trial_writer:
            return
        self._best.pop(trial, None)
        self._trial_writer[trial].close()  # its HParams come after the analysis (write_hparams)
        del self._trial_writer[trial]
        self._trial_result.pop(trial, None)


HPARAMS_SUFFIX = ".hparams"


def _plain(v):
    if isinstance(v, bool) or hasattr(v, "dtype") and str(getattr(v, "dtype", "")) == "bool":
        return bool(v)
    if isinstance(v, (int, float)):
        return v
    return str(v)


def write_hparams(out_dir, trials, metric: str, nuisance: list[str], arm_keys: list[str]) -> int:
    """One HParams session per trial folder (trials.parquet's rows, with `chosen`): written after
    the analysis so that the dashboard marks the trial the table uses. TensorBoard shows the first
    five hparams by default: arm, seed, chosen and the nuisance settings come first. A setting
    tuned over a range of 10x or more is also given as its log10 (an evenly spread grid there).
    Returns the sessions written; a rerun replaces them."""
    from pathlib import Path

    import pandas as pd
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams
    logs = {}
    for k in nuisance:
        values = pd.to_numeric(trials.get(f"config/{k}"), errors="coerce").dropna() if f"config/{k}" in trials else []
        logs[k] = len(values) and (values > 0).all() and values.max() >= 10 * values.min()
    written = 0
    for _, t in trials.iterrows():
        folder = Path(out_dir) / str(t["folder"])
        if not folder.is_dir():
            continue
        for old in folder.glob(f"events.out.tfevents.*{HPARAMS_SUFFIX}"):
            old.unlink()
        hp = {"arm": str(t["arm"]), "seed": int(t["seed"]), "chosen": bool(t.get("chosen", False))}
        for k in nuisance:
            v = t.get(f"config/{k}")
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                if logs[k]:
                    hp[f"log10_{k}"] = round(math.log10(float(v)), 4)
                hp[k] = _plain(v)
        for k in arm_keys:
            v = t.get(f"config/{k}")
            hp[k] = "default" if v is None or (isinstance(v, float) and math.isnan(v)) else _plain(v)
        hp["status"] = str(t["status"])
        step = int(t["epochs"] or 0)
        metrics = {f"hparams/best_{metric}": t.get(f"best_{metric}"), f"hparams/final_{metric}": t.get(f"final_{metric}"),
                   f"hparams/epoch_of_best_{metric}": t.get(f"epoch_of_best_{metric}"),
                   "hparams/epochs": t["epochs"], "hparams/status_code": STATUS_CODE.get(t["status"], -1)}
        metrics = {k: float(v) for k, v in metrics.items() if v is not None and not pd.isna(v)}
        with SummaryWriter(logdir=str(folder), filename_suffix=HPARAMS_SUFFIX) as writer:
            for tag, value in metrics.items():  # HParams shows the scalar of each metric tag
                if math.isfinite(value):
                    writer.add_scalar(tag, value, global_step=step)
            for summary in hparams(hparam_dict=hp, metric_dict=metrics):
                writer.file_writer.add_summary(summary)
        written += 1
    return written
