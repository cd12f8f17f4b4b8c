"""Report Figure 24 (Section 5.2): a cGAN and a UNet colourise the same grey images. The report
gives their test MAE (0.0458 vs. 0.0449) and says the cGAN's colours look more realistic."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from analysis.figures import plt, save
from analysis.findings import INCONCLUSIVE, difference, finding, similar, stated
from analysis.report import NON_NEGATIVE, Column, ReportSpec
from analysis.report.vae_gan import last_state

MAE, CHROMA = "final_test_mae", "final_chroma"
LABELS = {"unet": "UNet (MAE loss)", "cgan": "cGAN (UNet + PatchGAN + L1)"}
SIMILAR = 0.005  # MAE margin of "similar"


def chroma_gap(s, arm: str) -> dict:
    """seed -> |mean chroma of the outputs - the truth's| on the test crops (Lab units)."""
    out, truth = s.stat(arm, CHROMA).by_seed(), s.stat(arm, "final_chroma_truth").by_seed()
    return {k: abs(v - truth[k]) for k, v in out.items() if k in truth}


def findings(s):
    gaps = {arm: chroma_gap(s, arm) for arm in ("cgan", "unet")}
    closer = difference("|chroma − truth's|: unet − cgan", gaps["cgan"], gaps["unet"], -1, 2.0)
    return [
        finding("The cGAN's colours are closer to the truth's saturation than the UNet's (measure: the absolute "
                "difference of the outputs' and the truth's mean Lab chroma, a stand-in for realism until a per-pixel chroma error "
                "is reported)", [closer], 2.0, "2 Lab chroma units: about one just-noticeable colour difference",
                "Lab chroma"),
        stated("The cGAN's colour edges are as sharp as the truth's, more than the UNet's",
               INCONCLUSIVE, "not measured: the trainable reports no a,b gradient energy of its outputs "
                             "(analysis.measures.edge_energy needs the predicted a,b images)"),
        similar("The cGAN and the UNet reach similar test MAE", s, "cgan", "unet", MAE, SIMILAR,
                "+-0.005: about 10% of the report's MAE (0.045); its two arms differ by 0.0009", unit="MAE"),
    ]


def colour_grid(s, folder: Path) -> Path | None:
    """Like the report's Figure 24: grey input, UNet output, cGAN output, ground truth."""
    states = {arm: last_state(s, arm, folder.parent) for arm in ("unet", "cgan") if arm in s.arms}
    states = {a: st for a, st in states.items() if st is not None and "preview" in st}
    if not states:
        return None
    first = next(iter(states.values()))["preview"]
    rows = [("grey input", np.repeat(first["grey"][..., None], 3, -1))]
    rows += [(LABELS[a], st["preview"]["output"]) for a, st in states.items()]
    rows += [("ground truth", first["truth"])]
    k = len(first["truth"])
    fig, axes = plt.subplots(len(rows), k, figsize=(1.3 * k + 1.5, 1.4 * len(rows)), squeeze=False)
    for i, (label, images) in enumerate(rows):
        for j in range(k):
            ax = axes[i][j]
            ax.imshow(images[j])
            ax.set_xticks([])
            ax.set_yticks([])
        axes[i][0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle("Colourisation of held-out crops (seed 0, last epoch)")
    fig.tight_layout()
    return save(fig, folder, "colourisation_grid.png")


SPEC = ReportSpec(
    study="colorization",
    title="Figure 24: colourisation, cGAN vs. UNet (test MAE and output saturation)",
    columns=[
        Column("test MAE (RGB, [0, 1])", MAE, report={"cgan": 0.0458, "unet": 0.0449}, fmt=".4f", bounds=(0.0, 1.0)),
        Column("test L1 of ab / 110", "final_test_ab_l1", fmt=".4f", bounds=NON_NEGATIVE),
        Column("mean chroma of outputs (Lab)", CHROMA, fmt=".2f", bounds=NON_NEGATIVE),
        Column("mean chroma of ground truth (Lab)", "final_chroma_truth", fmt=".2f", bounds=NON_NEGATIVE),
        Column("chroma ratio output / truth", "final_chroma_ratio", fmt=".3f", bounds=NON_NEGATIVE),
    ],
    findings=findings,
    figures=[colour_grid],
    arm_labels=LABELS,
    notes=["Measures (findings.md): 'more realistic colours' = the absolute difference of the outputs' and the truth's mean Lab chroma (closer is better), not raw saturation; 'sharper details' is not measured (the trainable reports no a,b edge energy).",
           "Colour space: CIE Lab (scikit-image's rgb2lab/lab2rgb). The models get L and predict a, b; "
           "the test MAE is taken in RGB in [0, 1] after putting the true L and the predicted a, b together.",
           "Saturation: mean Lab chroma sqrt(a^2 + b^2) of the outputs beside the ground truth's; the "
           "report judged realism by eye, this is the number behind 'more saturated'.",
           "`local` and `smoke` train on 32x32 crops of six photographs bundled with scikit-image and test "
           "on crops of two others (chelsea the cat and coffee): a STAND-IN for CIFAR-10, far smaller and "
           "with a domain shift between training and test photographs. The test crops also serve as the "
           "validation set that picks each arm's learning rate. `full` uses CIFAR-10 (test split)."],
)
