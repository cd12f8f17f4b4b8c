"""TensorBoard files that show the study, in place of Ray's default TBX logger.

Scalars: the study's metric first (`1_study/`), the trainable's other metrics next (`2_metrics/`),
Tune's bookkeeping last (`3_tune/`, only the timings; done/should_checkpoint/... are dropped).
Step = epoch. HParams: the same names in every study (`arm`, each arm setting as the trainable
sees it, `seed`, each nuisance setting, `status`), and as metrics the best value of the study's
metric (what the table uses), its final value, the epochs run and a status code. Images
(`images/<tag>`, step = epoch): the previews a trainable keeps at a few epochs
(trainables/previews.py), read from the checkpoint they travel in (trainables/tune_session.py)."""
from __future__ import annotations

import io
import math

from ray.tune.logger import TBXLoggerCallback

from trainables.session import IMAGES_FILE, flatten_arm, read_images

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


def status_of(last: dict, failed: bool, max_epochs: int | None) -> str:
    """The same four statuses as trials.parquet."""
    if failed:
        return "errored"
    if last.get("diverged"):
        return "diverged"
    if last.get("early_stopped") or max_epochs is None or last.get("epoch", 0) >= max_epochs:
        return "completed"
    return "stopped_early"


class StudyTBXLogger(TBXLoggerCallback):
    def __init__(self, metric: str, mode: str, arms: dict | list, nuisance: list[str],
                 max_epochs: int | None = None, arm_defaults: dict | None = None):
        super().__init__()
        self.metric, self.mode, self.max_epochs = metric, mode, max_epochs
        self.nuisance = list(nuisance)
        # every arm setting of the study, so each trial has the same HParams columns
        settings = arms.values() if isinstance(arms, dict) else []
        self.arm_keys = sorted({k for s in settings for k in s})
        self.arm_defaults = dict(arm_defaults or {})
        self._best: dict = {}
        self._last: dict = {}

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
        self._last[trial] = result
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

    def hparams(self, trial, status: str) -> dict:
        config = flatten_arm(trial.config)
        out = {"arm": str(config.get("arm")), "seed": int(config.get("seed") or 0)}
        for key in self.arm_keys:
            value = config.get(key, self.arm_defaults.get(key, "default"))
            out[key] = value if isinstance(value, (int, float, str, bool)) else str(value)
        for key in self.nuisance:
            if key in config:
                out[key] = config[key] if isinstance(config[key], (int, float, str, bool)) else str(config[key])
        out["status"] = status
        return out

    def log_trial_end(self, trial, failed: bool = False):
        if trial not in self._trial_writer:
            return
        last = self._last.pop(trial, {}) or {}
        status = status_of(last, failed, self.max_epochs)
        metrics = {f"hparams/best_{self.metric}": self._best.pop(trial, float("nan")),
                   f"hparams/final_{self.metric}": float(last.get(self.metric, float("nan")))
                   if _number(last.get(self.metric)) else float("nan"),
                   "hparams/epochs": float(last.get("epoch", 0) or 0),
                   "hparams/status_code": float(STATUS_CODE[status])}
        from tensorboardX.summary import hparams
        writer = self._trial_writer[trial]
        step = int(metrics["hparams/epochs"])
        for tag, value in metrics.items():  # HParams shows the scalar of each metric tag
            if math.isfinite(value):
                writer.add_scalar(tag, value, global_step=step)
        for summary in hparams(hparam_dict=self.hparams(trial, status), metric_dict=metrics):
            writer.file_writer.add_summary(summary)
        writer.close()
        del self._trial_writer[trial]
        self._trial_result.pop(trial, None)
