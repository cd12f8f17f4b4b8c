"""benchmarks/gpu.py: its CPU path (--cpu-check) runs every study's full-profile trainable on the
miniature data in the real shapes and writes a row per study; without CUDA the plain run is one
line and exit 0. No Ray, no GPU needed."""
import json
import subprocess
import sys
from pathlib import Path

import torch

from studies.registry import STUDIES

ROOT = Path(__file__).resolve().parent.parent


def test_cpu_check_times_every_study(tmp_path, monkeypatch):
    from benchmarks import gpu
    monkeypatch.setenv("OUT", str(tmp_path))
    assert gpu.main(["--cpu-check"]) == 0
    result = json.loads((tmp_path / "gpu.json").read_text())
    rows = {r["study"]: r for r in result["rows"]}
    assert list(rows) == list(STUDIES)
    for study, r in rows.items():
        assert r["epochs"] == 1 and r["items"] > 0 and r["seconds"] > 0, (study, r)
        assert r["items_per_s"] > 0, (study, r)
    assert rows["exploration"]["arm"] == "dqn_eps" and rows["exploration"]["unit"] == "env steps"
    assert result["resnet50"]["fp32_images_per_s"] > 0
    # 1 and 2 trials at once of the first launch-bound study, each in its own process
    share = {r["trials"]: r for r in result["share"]}
    assert sorted(share) == [1, 2] and {r["study"] for r in share.values()} == {"regularization"}
    assert all(r["items_per_s"] > 0 for r in share.values())
    assert 0 < result["full_profile_gpu_hours"]["regularization"] < 1e6


def test_full_config_is_the_full_profile():
    from benchmarks import gpu
    c = gpu.full_config("regularization", None, gpu.CPU_CHECK)
    assert (c["dataset"], c["width"], c["arm"], c["lr"]) == ("cifar10", 32, "baseline", 3e-4)
    t = gpu.full_config("transfer", "resnet50_finetune", gpu.CPU_CHECK)
    assert (t["backbone"], t["weights"], t["image_size"]) == ("resnet50", "none", 64)


def test_without_cuda_one_line_and_no_ray():
    if torch.cuda.is_available():
        return  # on a GPU machine the plain run measures; that is not a test
    code = ("import runpy, sys; sys.argv = ['gpu.py']\n"
            "try:\n runpy.run_path('benchmarks/gpu.py', run_name='__main__')\n"
            "except SystemExit as e: rc = e.code\n"
            "assert 'ray' not in sys.modules, 'benchmarks/gpu.py imported Ray'\nsys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.strip().splitlines()) == 1 and "no CUDA" in out.stdout


def test_amp_setting():
    import pytest

    from trainables.device import amp_dtype
    cpu = torch.device("cpu")
    assert amp_dtype("auto", cpu) is None and amp_dtype("off", cpu) is None
    assert amp_dtype("bf16", cpu) is torch.bfloat16
    with pytest.raises(ValueError, match="fp16 needs CUDA"):
        amp_dtype("fp16", cpu)
    with pytest.raises(ValueError, match="amp must be"):
        amp_dtype("half", cpu)


def test_bf16_autocast_reaches_the_model_and_auto_is_float32_on_cpu():
    """amp=bf16 changes a CPU trial's numbers (autocast is really applied); auto equals off."""
    from benchmarks import gpu
    from trainables.cnn import train_cnn
    from trainables.session import LocalSession
    config = {**gpu.full_config("regularization", None, gpu.CPU_CHECK), "epochs": 1, "device": "cpu"}
    data, _, _ = gpu.mini_data("regularization", config, gpu.CPU_CHECK, __import__("numpy").random.default_rng(0))
    loss = {amp: train_cnn({**config, "amp": amp}, LocalSession(), data).history[-1]["train_loss"]
            for amp in ("auto", "off", "bf16")}
    assert loss["auto"] == loss["off"]
    assert loss["bf16"] != loss["off"] and abs(loss["bf16"] - loss["off"]) < 0.1 * loss["off"]
