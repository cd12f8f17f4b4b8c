"""Report Figure 3: RNN forecasts with windows of 1, 3, 6 and 12 months. Its claims: windows 1
and 3 do best (alike), window 12 is smoothest and worst."""
import json
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

from analysis import baselines
from analysis.claims import F, U
from analysis.figures import plt, save
from analysis.findings import all_of, lower, not_run, similar, trend
from analysis.report import NON_NEGATIVE, Column, ReportSpec
from analysis.report.curves import compare, per_seed
from trainables import measures
from trainables.data.airline import AIRLINE_PASSENGERS, FIRST_MONTH

RMSE = "final_test_rmse"
WINDOWS = (1, 3, 6, 12)



SESOI, WHY = 5.0, "5 thousand passengers: about 1% of the test months' level (~430k)"


def test_part(s):
    """(forecast, actual) -> their test months: the measures are taken where the RMSE is."""
    months = int(s.chosen["config/test_months"].iloc[0]) if "config/test_months" in s.chosen and len(s.chosen) \
        else 24
    actual = np.asarray(AIRLINE_PASSENGERS, float)
    def measure(fn):
        def on_history(h):
            p = h["predictions"].dropna()
            f = np.array([np.nan if v is None else v for v in json.loads(p.iloc[-1])], float)[:len(actual)]
            return fn(f[-months:], actual[len(f) - months:len(f)])
        return on_history
    return measure


def forecast_findings(s, arm):
    """Roughness and change tracking of the one-step forecasts over the test months."""
    on_test = test_part(s)
    rough = on_test(lambda f, a: measures.roughness(f))
    track = on_test(lambda f, a: measures.change_tracking(f, a))
    xs, ys = [], []
    for w in WINDOWS:
        for v in per_seed(s, arm[w], rough).values():
            xs.append(w)
            ys.append(v)
    actual_rough = measures.roughness(np.asarray(AIRLINE_PASSENGERS, float)[-24:])
    r_sesoi = round(0.05 * actual_rough, 1)
    r_why = f"{r_sesoi:g}: 5% of the actual test months' roughness ({actual_rough:.0f})"
    r_unit = "thousand passengers (std of the monthly change)"
    return {
        "smoother_with_window": trend("Forecasts get smoother as the window grows (measure: std of the forecasts' month-to-month "
              "change over the test months)", xs, ys, -1, "roughness vs window", 0.3,
              "rho 0.3: a moderate rank correlation (Cohen); less would not be a tendency"),
        "window12_smoothest": all_of("A window of 12 months gives the smoothest forecasts (same measure)",
               [compare("", s, arm[12], arm[w], rough, -1, r_sesoi, r_why, r_unit, "roughness") for w in (1, 3, 6)]),
        "window1_3_follow_changes": all_of("Windows of 1 and 3 months follow short-term changes better than 12 (measure: correlation of the "
               "forecast's and the actual month-to-month change over the test months)",
               [compare("", s, arm[w], arm[12], track, +1, 0.1,
                        "0.1 of a correlation: smaller would not be a visible difference in Figure 3",
                        "correlation", "change tracking") for w in (1, 3)]),
    }


def window_findings(s, arm):
    unit = "thousand passengers"
    return {
        "window1_3_best": all_of("Windows of 1 and 3 months give the lowest test RMSE",
               [lower("", s, arm[a], arm[b], RMSE, SESOI, WHY, unit=unit) for a in (1, 3) for b in (6, 12)]),
        "window12_worst": all_of("A window of 12 months gives the highest test RMSE",
               [lower("", s, arm[a], arm[12], RMSE, SESOI, WHY, unit=unit) for a in (1, 3, 6)]),
        "window1_3_similar": similar("Windows of 1 and 3 months reach similar test RMSE (equivalence within the SESOI)", s, arm[1],
                arm[3], RMSE, SESOI, WHY, unit=unit),
        **forecast_findings(s, arm),
    }


LOG_DIFF = "On the log month-to-month change (this study's local design): "


def arms_by_transform(s) -> dict:
    """transform -> {window: arm}: the arms that forecast the min-max scaled levels (the report's kind of
    series) and those that forecast the log month-to-month change, from their trials' configs."""
    out = {"minmax": {}, "log_diff": {}}
    for arm in s.arms:
        rows = s.trials[s.trials["arm"] == arm]
        transform = rows["config/transform"].iloc[0] if "config/transform" in rows and len(rows) else "minmax"
        window = int(rows["config/window"].iloc[0]) if "config/window" in rows and len(rows) else None
        if window in WINDOWS:
            out.setdefault(transform, {})[window] = arm
    return out


def findings(s):
    """The report's claims on min-max scaled levels, its kind of series (every profile), and again on
    the log month-to-month change where a profile runs those arms too (local): keys prefixed logdiff_.
    A series whose arms this profile lacks is listed as not run."""
    by, out = arms_by_transform(s), {}
    for prefix, transform, lacking in (("", "minmax", "this profile's arms forecast the log month-to-month change only"),
                                       ("logdiff_", "log_diff", "this profile runs the report's min-max scaled levels only")):
        ran = len(by[transform]) == len(WINDOWS)
        for key, f in window_findings(s, by[transform] if ran else {w: f"window_{w}" for w in WINDOWS}).items():
            claim = LOG_DIFF + f.claim[0].lower() + f.claim[1:] if prefix else f.claim
            out[prefix + key] = replace(f, claim=claim) if ran else not_run(claim, lacking)
    return out


def predictions(s, arm: str) -> np.ndarray | None:
    """The chosen trials' one-step-ahead forecasts of every month, one row a seed."""
    ids = set(s.chosen.loc[s.chosen["arm"] == arm, "trial_id"])
    h = s.history
    if "predictions" not in h or not ids:
        return None
    rows = h[h["trial_id"].isin(ids) & h["predictions"].notna()]
    rows = rows.sort_values("epoch").groupby("trial_id").tail(1)
    preds = [np.array([np.nan if v is None else v for v in json.loads(p)], float) for p in rows["predictions"]]
    return np.stack(preds) if preds else None


def forecasts_per_window(s, folder):
    """Like the report's Figure 3: each window's forecasts against the actual series (mean over
    seeds, band = seed range), with the validation and test months shaded."""
    actual = np.asarray(AIRLINE_PASSENGERS, float)
    months = pd.period_range(FIRST_MONTH, periods=len(actual), freq="M").to_timestamp()
    arms = [a for a in s.arms if predictions(s, a) is not None]
    if not arms:
        return None
    trial = s.chosen.iloc[0]
    val_m, test_m = int(trial.get("config/val_months", 12)), int(trial.get("config/test_months", 24))
    fig, axes = plt.subplots(2, (len(arms) + 1) // 2, figsize=(11, 6.5), squeeze=False, sharex=True, sharey=True)
    for ax, arm in zip(axes.flat, arms):
        p = predictions(s, arm)[:, :len(actual)]
        n = p.shape[1]
        with warnings.catch_warnings():  # the first `window` months have no forecast
            warnings.simplefilter("ignore", RuntimeWarning)
            mean, lo, hi = np.nanmean(p, 0), np.nanmin(p, 0), np.nanmax(p, 0)
        ax.plot(months, actual, color="black", lw=1.2, label="actual")
        ax.plot(months[:n], mean, color="tab:red", lw=1.2, label=f"forecast (mean of {len(p)} seeds)")
        ax.fill_between(months[:n], lo, hi, color="tab:red", alpha=0.2)
        ax.axvspan(months[-test_m - val_m], months[-test_m], color="tab:orange", alpha=0.1, label="validation")
        ax.axvspan(months[-test_m], months[-1], color="tab:blue", alpha=0.1, label="test")
        rmse = s.stat(arm, RMSE)
        ax.set_title(f"{arm.replace('_', ' ')}: test RMSE {rmse.text(fmt='.1f', per_seed=False)}", fontsize=9)
        ax.set_ylabel("passengers (thousands)")
    for ax in axes.flat[len(arms):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, loc="upper left")
    fig.suptitle("Prediction based on different window size (one step ahead)")
    fig.tight_layout()
    return save(fig, folder, "forecasts_per_window.png")


CLAIMS = (
    F("using a small window size may limit the model's ability to capture long-term trends, leading to more "
      "fluctuating predictions",
      "Section 3.1",
      "forecast roughness (std of the forecasts' month-to-month change) falls as the window grows",
      ("smoother_with_window", "logdiff_smoother_with_window")),
    F("For a window size of 12, as expected, the model produced the smoothest predictions",
      "Section 3.1, Figure 3",
      "window_12 lowest forecast roughness",
      ("window12_smoothest", "logdiff_window12_smoothest")),
    F("but failed to capture and follow the short-term changes, yielding the worst performance",
      "Section 3.1, Figure 3",
      "window_12 highest test RMSE",
      ("window12_worst", "logdiff_window12_worst")),
    F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
      "similar best performance in my tests",
      "Section 3.1, Figure 3",
      "window_1 and window_3 below window_6 and window_12 on test RMSE",
      ("window1_3_best", "logdiff_window1_3_best")),
    F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
      "similar best performance in my tests",
      "Section 3.1, Figure 3",
      "window_1 and window_3 equivalent on test RMSE (TOST within a stated margin)",
      ("window1_3_similar", "logdiff_window1_3_similar")),
    F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
      "similar best performance in my tests",
      "Section 3.1, Figure 3",
      "windows 1 and 3 track month-to-month changes better than 12 (correlation of forecast and actual change "
      "on the test months)",
      ("window1_3_follow_changes", "logdiff_window1_3_follow_changes")),
    U("So the 3-month window would be more trustworthy configuration for this dataset.",
      "Section 3.1",
      "a judgement ('potentially missing gradual long-term trends', 'more trustworthy') with no measure; noise "
      "susceptibility would need noisy-input arms"),
)


SPEC = ReportSpec(
    study="window_size",
    claims=CLAIMS,
    baselines=baselines.window_size,
    baseline_columns={"test_rmse": [("final_test_rmse", "min")], "test_mae": [("final_test_mae", "min")]},
    title="Figure 3: RNN forecasts for different window sizes",
    columns=[Column("test RMSE", RMSE, fmt=".1f", bounds=NON_NEGATIVE),
             Column("test MAE", "final_test_mae", fmt=".1f", bounds=NON_NEGATIVE),
             Column("validation RMSE", "final_val_rmse", fmt=".1f", bounds=NON_NEGATIVE)],
    findings=findings,
    figures=[forecasts_per_window],
    arm_labels={**{f"window_{w}": f"window {w} month{'s' if w > 1 else ''}" for w in WINDOWS},
                **{f"levels_window_{w}": f"window {w}, scaled levels" for w in WINDOWS}},
    notes=["Measures (findings.md): 'smoother / more fluctuating predictions' = std of the one-step forecasts' month-to-month change over the test months; 'reacted more quickly to short-term changes' = correlation of the forecast's and the actual month-to-month change there; 'similar best performance' = TOST on test RMSE within the SESOI.",
           "The report gives this comparison as a figure, without numbers: the report columns are empty.",
           "Errors in thousands of passengers, one step ahead from observed past months. The report "
           "does not name its 12-month-periodic series; the Box-Jenkins airline-passengers series "
           "(1949-1960) is assumed. Train on 1949-1957, choose the learning rate on 1958 "
           "(validation), test on 1959-1960; scaling fitted on the training months only: `local` "
           "forecasts the month-to-month change of the log (`transform=log_diff`), which the RNN can "
           "extrapolate; min-max scaled levels put the test years above every training value.",
           "The report's condition: its series' levels, min-max scaled, as in Figure 3. `local` runs those "
           "arms too (`levels_window_*`, `transform=minmax`) and judges each claim on both series; the "
           "findings on the levels are the report's, those 'on the log month-to-month change' ours (about "
           "double the local profile's compute). On levels the test years lie above every training value, "
           "so every window's forecast is capped near the training maximum: judge those findings with that "
           "in mind (the trivial baselines stand beside them).",
           "Windows shorter than 12 months cannot see the seasonal lag (the same month a year before): "
           "on the log change they stay below seasonal naive x growth whatever the rate (window 1 at "
           "persistence: its validation RMSE at the first rung barely moves over rates 1e-3 to "
           "1e-1; windows 3 and 6 learn part of the pattern at the higher rates). That is a result of the input window on this series, not of too little tuning or "
           "training; it makes the report's claim that windows 1 and 3 forecast best 'inconclusive: "
           "below the trivial baseline' rather than testable here.",
           "`local` anneals the rate to 0 over the 200 epochs (`lr_schedule=cosine`, every arm alike) so "
           "the curves end converged; the report names no schedule."],
)
