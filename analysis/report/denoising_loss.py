"""Report Table 5 and Figures 6, 7, 22, 23: a denoising autoencoder trained with MSE, MAE, SSIM
and MS-SSIM losses, compared by the MSE of its outputs against the clean digits."""
from __future__ import annotations

import numpy as np

from analysis import baselines
from analysis.claims import F, U
from analysis.findings import all_of, higher, lower
from analysis.report import NON_NEGATIVE, Column, ReportSpec
from analysis.report.autoencoder_structure import chosen_samples, image_grid
from analysis.report.curves import compare, per_seed
from trainables import measures

MSE = "final_test_mse"  # the held-out split, read once: the rate is chosen on validation
LABELS = {"mse": "MSE", "mae": "MAE", "ssim": "SSIM", "ms_ssim": "MS-SSIM"}
REPORT_FIGURE = {"mae": "Figure 6", "ms_ssim": "Figure 7", "mse": "Figure 22", "ssim": "Figure 23"}



SMALL, SMALL_WHY = 0.0002, "0.0002: two-thirds of the report's gap (0.0058 vs 0.0055)"
SSIM_GAP, SSIM_WHY = 0.0005, "0.0005: a quarter of the report's gaps to SSIM (0.0017-0.0020)"


def val_mse_wobble(h):
    """Noise of the per-epoch validation MSE around a smooth trend (second differences): every arm in
    one scale, and blind to the smooth bend the cosine schedule gives every curve."""
    return measures.roughness_around_trend(np.asarray(h["val_mse"], float))


def findings(s):
    mse_wobble = list(per_seed(s, "mse", val_mse_wobble).values())
    sesoi = float(0.2 * np.mean(mse_wobble)) if mse_wobble else 0.0
    return {
        "mae_smoother": compare("MAE-trained: smoother training (measure: noise of the per-epoch validation MSE around "
                "a smooth trend, below the MSE-trained model's)", s, "mae", "mse", val_mse_wobble, -1,
                sesoi, "20% of the MSE-trained model's wobble", "MSE", "val. MSE wobble", fmt=".2e"),
        "ms_ssim_below_mse": lower("MS-SSIM-trained reaches a lower validation MSE than MSE-trained", s, "ms_ssim", "mse", MSE,
              SMALL, SMALL_WHY, unit="MSE"),
        "mae_below_mse": lower("MAE-trained reaches a lower validation MSE than MSE-trained", s, "mae", "mse", MSE,
              SMALL, SMALL_WHY, unit="MSE"),
        "ssim_highest": all_of("SSIM-trained has the highest validation MSE",
               [higher("", s, "ssim", other, MSE, SSIM_GAP, SSIM_WHY, unit="MSE")
                for other in ("mse", "mae", "ms_ssim")]),
    }


def denoising_grid(loss: str):
    """Noisy input / denoised / clean rows for the `loss` arm, like the report's figures."""
    def figure(s, folder):
        smp = chosen_samples(s, folder).get(loss)
        if smp is None:
            return None
        rows = [("noisy input", smp["input"]), ("denoised", smp["output"]), ("clean", smp["target"])]
        return image_grid(rows, folder, f"denoising_{loss}.png",
                          f"Noisy input vs denoised vs clean image - {LABELS[loss]} "
                          f"(report {REPORT_FIGURE[loss]})")
    figure.__name__ = f"denoising_{loss}"
    return figure


CLAIMS = (
    F("MSE heavily penalizes large pixel-level deviations, yielding moderate performance but not best overall "
      "reconstruction.",
      "Section 4.2, Table 5",
      "mse not lowest valid MSE: some loss (mae, ms_ssim) below it",
      "ms_ssim_below_mse"),
    F("so training process become smoother",
      "Section 4.2",
      "mae: val. MSE curve smoother than mse's (noise of the per-epoch val. MSE around a smooth trend, from "
      "its second differences: every arm reports val. MSE per epoch, so one scale for both)",
      "mae_smoother"),
    F("MAE\t0.0055\t0.0054",
      "Table 5",
      "mae below mse on valid MSE (Table 5: 0.0055 vs 0.0058)",
      "mae_below_mse"),
    U("the reconstruction often looks more natural",
      "Section 4.2, Figures 6, 22",
      "a visual judgement of the figures"),
    F("SSIM focuses on structural similarity rather than exact pixels, so it has higher MSE",
      "Section 4.2, Table 5",
      "ssim highest valid MSE",
      "ssim_highest"),
    U("but can produce perceptually better images",
      "Section 4.2, Figure 23",
      "perceptual quality needs human judgement (the SSIM-trained model scoring best on SSIM would hold nearly "
      "by construction)"),
    F("MS-SSIM refines SSIM across multiple scales, so model trained based on both global and local features, "
      "this achieving better pixel match.",
      "Section 4.2, Table 5",
      "ms_ssim below mse and ssim on valid MSE",
      ("ms_ssim_below_mse", "ssim_highest"),
      part="ms_ssim below ssim: by the SSIM finding"),
)


SPEC = ReportSpec(
    study="denoising_loss",
    claims=CLAIMS,
    baselines=baselines.denoising_loss,
    baseline_columns={"val_mse": [("final_val_mse", "min")], "test_mse": [("final_test_mse", "min")]},
    title="Table 5: train and validation MSE of a denoising autoencoder per loss function",
    columns=[
        Column("valid MSE (held-out test split)", MSE, fmt=".4f", bounds=NON_NEGATIVE,
               report={"mse": 0.0058, "mae": 0.0055, "ssim": 0.0075, "ms_ssim": 0.0055}),
        Column("train MSE", "final_train_mse", fmt=".4f", bounds=NON_NEGATIVE,
               report={"mse": 0.0060, "mae": 0.0054, "ssim": 0.0072, "ms_ssim": 0.0053}),
        Column("valid SSIM (held-out test split)", "final_ssim_test", fmt=".4f", bounds=(-1.0, 1.0)),
        Column("train SSIM", "final_ssim_train", fmt=".4f", bounds=(-1.0, 1.0)),
    ],
    findings=findings,
    figures=[denoising_grid(loss) for loss in LABELS],
    arm_labels=LABELS,
    notes=["Measures (findings.md): 'training becomes smoother' = the noise of the per-epoch validation MSE around a smooth trend: the std of its second differences over sqrt(6), which a smooth bend (the cosine schedule's) leaves near 0 where the spread around one straight line measured the bend (every arm reports val. MSE per epoch, so one scale for all losses).",
           "MSE and SSIM are of the denoised output against the clean digit, whatever loss trained "
           "the model; train values are measured after the last epoch in eval mode over the whole "
           "training split, with noise drawn once (fixed seed), as for the validation split.",
           "Noise: Gaussian, std = the `noise` setting (0.5), added to the [0, 1] image and clipped "
           "back to [0, 1]; fresh noise every training batch.",
           "SSIM: 11x11 Gaussian window, sigma 1.5, as scikit-image computes it (checked against "
           "skimage.metrics.structural_similarity in tests/test_ssim.py). MS-SSIM on 32x32 images: "
           "3 scales (32, 16, 8 px), 7x7 window (sigma 0.8), the first three standard scale weights "
           "renormalised (see trainables/ssim.py). SSIM and MS-SSIM losses are 1 - index.",
           "Splits: the report's 'valid' columns are the held-out split (MNIST's test set in the full "
           "profile; locally the 1,000 held-out digits of the embedded 5,000), scored once after the last "
           "epoch. Each (arm, seed)'s rate is chosen, and ASHA stops trials, on a validation split of "
           "10% carved from the training digits (val_share=0.1); the smoothness measure reads its "
           "per-epoch MSE.",
           "Local profile: 14 epochs of batches of 32; the rate comes from [3e-3, 1e-2, 3e-2, 0.1] at "
           "the first rung and is annealed to 0 over the epochs by a cosine in every arm alike.",
           "Still improving (local), where flagged: the chosen trials' val. MSE still falls slowly at 14 "
           "epochs and more epochs shrink that fall only slowly, so a plateau costs more than this study's "
           "local budget on a CPU. The flag is kept: findings.md gives its bound on what is left, and the "
           "findings resting on these arms say whether it could change them.",
           "The report does not give the denoiser's architecture: here a small conv autoencoder "
           "(32x32 -> 8x8 feature maps -> 32x32, no dense bottleneck; trainables/autoencoders.py)."],
)
