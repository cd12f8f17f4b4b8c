"""Report Figure 1: loss per learning rate. Its claim: larger rates converge faster and oscillate more."""
import numpy as np

from analysis import baselines
from analysis.claims import F
from analysis.figures import mean_band, plt, save
from analysis.findings import INCONCLUSIVE, stated, trend
from analysis.report import ACCURACY, NON_NEGATIVE, Column, ReportSpec
from trainables import measures

RHO, RHO_WHY = 0.5, "rho 0.5: a weaker monotone trend would not show as the report's figure does"
# the per-batch training loss's std around its moving-average trend (trainables/cnn.py): unlike
# the older jitter (divided by the loss), it does not grow as the loss falls
OSCILLATION = "loss_oscillation"
LEARNED = 0.2  # final validation accuracy of twice chance (10 classes): below it a rate did not train


def _per_trial(s):
    """lr, train loss after the first epoch, the per-epoch (train loss, loss oscillation) curve and
    whether it trained, per trial."""
    t = s.trials[s.trials["status"].isin(["completed", "diverged"])]
    h = s.history
    rows = []
    for _, trial in t.iterrows():
        c = h[h["trial_id"] == trial["trial_id"]].sort_values("epoch")
        if c.empty:
            continue
        trained = trial["status"] == "completed" and trial.get("final_val_acc", 0) >= LEARNED
        rows.append((trial["config/lr"] if "config/lr" in trial else np.nan, c["train_loss"].iloc[0],
                     (c["train_loss"].to_numpy(float), c[OSCILLATION].to_numpy(float)), bool(trained)))
    return rows


def matched_oscillation(rows, classes: int = 10):
    """(level, lr, oscillation) of each trained trial at the matched loss level: the highest final
    train loss among the trials past their initial plateau (below half of ln(classes)); a trial that
    never gets down to it is left out (NaN)."""
    level = measures.matched_level([r[2][0][-1] for r in rows], np.log(classes))
    wobble = [measures.at_level(r[2][0], r[2][1], level) if np.isfinite(level) else np.nan for r in rows]
    return level, np.array([r[0] for r in rows], float), np.array(wobble, float)


def findings(s):
    """Judged among the rates that trained at all: the report's claim is about those (a rate that
    diverges or sits at chance neither converges nor oscillates in the report's sense). Oscillation
    is compared at a matched loss level: averaged over epochs it tracks how far each rate has
    trained (a lower loss has a smaller per-batch noise), which falls as the rate grows."""
    rows = [r for r in _per_trial(s) if r[3] and np.isfinite(r[1])]
    untrained = sorted({r[0] for r in _per_trial(s) if not (r[3] and np.isfinite(r[1]))})
    if not rows:
        return {key: stated(claim, INCONCLUSIVE, f"no rate reached {LEARNED:.0%} validation accuracy")
                for key, claim in (("converge_faster", "Larger learning rates converge faster"),
                                   ("oscillate_more", OSC_CLAIM))}
    lr, first = (np.array([r[i] for r in rows], float) for i in range(2))
    note = (f" (left out, final val. acc. below {LEARNED:.0%}: lr {', '.join(f'{x:g}' for x in untrained)})"
            if untrained else "")
    level, lr_m, wobble = matched_oscillation(rows)
    short = sorted({x for x, w in zip(lr_m, wobble) if not np.isfinite(w)})
    note_m = note + (f" (left out, never down to the level: lr {', '.join(f'{x:g}' for x in short)})" if short else "")
    return {
        "converge_faster": trend("Larger learning rates converge faster", lr, first, -1, "train loss after epoch 1 vs lr" + note,
              RHO, RHO_WHY),
        "oscillate_more": trend(OSC_CLAIM, lr_m, wobble, +1,
              f"per-batch loss oscillation at train loss {level:.3g} vs lr" + note_m, RHO, RHO_WHY),
    }


OSC_CLAIM = ("Larger learning rates oscillate more (measure: per-batch loss oscillation where the training "
             "loss first reaches a level every trained rate reaches)")


def loss_per_rate(s, folder):
    """Like the report's Figure 1: training (and validation) loss per epoch, one line a rate."""
    h = s.history.merge(s.trials[["trial_id", "config/lr"]], on="trial_id")
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for lr, c in sorted(h.groupby("config/lr"), key=lambda kv: kv[0]):
        for ax, key in zip(axes, ("train_loss", "val_loss")):
            x, m, lo, hi = mean_band(c, "epoch", key)
            ax.plot(x, m, marker="o", ms=3, label=f"lr={lr:.3g}")
    for ax, key in zip(axes, ("train loss", "validation loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.set_yscale("log")
        if ax.get_legend_handles_labels()[0]:  # every trial errored: nothing to name
            ax.legend(fontsize=7)
    fig.suptitle("Loss for different learning rates")
    fig.tight_layout()
    return save(fig, folder, "loss_per_learning_rate.png")


CLAIMS = (
    F("higher learning rate will result in faster convergence of training",
      "Section 1, Figure 1",
      "train loss after a fixed early budget falls as lr rises (Spearman over rates that trained)",
      "converge_faster"),
    F("but also introduce more oscillations",
      "Section 1, Figure 1",
      "oscillation of the per-batch loss around its trend, at a matched training loss, rises with lr",
      "oscillate_more",
      part="matched at epoch resolution: each epoch's oscillation and mean loss, interpolated to the level"),
)


SPEC = ReportSpec(
    study="lr_sweep",
    claims=CLAIMS,
    baselines=lambda d, c: baselines.image_classification(d, c, "val", "val_acc"),
    baseline_columns={"val_acc": [("best_val_acc", "max")]},
    title="Figure 1: loss for different learning rates",
    columns=[Column("final train loss", "final_train_loss", fmt=".3f", bounds=NON_NEGATIVE),
             Column("per-batch loss oscillation, last epoch", "final_loss_oscillation", fmt=".3f", bounds=NON_NEGATIVE),
             Column("best val. accuracy (%)", "best_val_acc", scale=100, fmt=".1f", bounds=ACCURACY)],
    findings=findings,
    figures=[loss_per_rate],
    # the arms ARE the rates, each run at one constant rate for one fixed budget (no schedule: the
    # claim is about constant rates): a slow rate still improving, or not yet past the trivial
    # baseline, at the last epoch is the slower convergence the report claims, not a tuning defect.
    # The findings use the loss after epoch 1 and the loss's wobble around its trend, neither of
    # which needs a converged curve; a rate that never trained (lr 1) is left out of both.
    expected_flags={
        "still improving": "a slower constant rate still converging at the fixed budget is the claim "
                           "itself; no finding uses a final value",
        "below trivial baseline": "a slow rate not yet trained at the fixed budget, or one too large to "
                                  "train (left out of the findings); no finding compares arms on this column"},
    notes=["The report gives this comparison as a figure, without numbers: the report columns are empty.",
           "Plain SGD (no momentum) so that the rate alone sets the step size.",
           "Loss oscillation: the std of the per-batch training loss around its 9-batch moving average, "
           "in loss units, compared between rates where each first reaches the same training loss (the "
           "highest final loss among the trials past their initial plateau, interpolated between epochs): "
           "averaged over epochs it tracked how far each rate had trained, since a lower loss is less noisy. "
           "The older jitter, divided by the loss, grew as the loss fell and is kept in history.parquet only."],
)
