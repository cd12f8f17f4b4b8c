"""Wall time of each study, one after another, through the real runner (default scheduler, search
and seeds of the profile): where a whole report's minutes go."""
from __future__ import annotations

from benchmarks.common import run_study
from studies import registry


def measure(name: str, profile: str) -> dict:
    wall, timing, trials, history, fit = run_study(registry.load(name), ["--profile", profile])
    return {"study": name, "profile": profile, "wall_s": wall, "fit_s": fit,
            "before_fit_s": timing.fit_start - timing.t0, "after_fit_s": wall - fit,
            "trials": len(trials), "epochs": int(trials["epochs"].sum()),
            "in_trial_s": float(trials["wall_s"].sum())}


def report(rows: list[dict]) -> str:
    lines = [f"Profile `{rows[0]['profile']}`, each study alone, one after another (`python -m benchmarks "
             "studies`); in-trial = the trials' own seconds summed over slots.", "",
             "| study | wall, s | before fit, s | fit, s | after fit (outputs), s | trials | epochs | in-trial, s |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['study']} | {r['wall_s']:.1f} | {r['before_fit_s']:.1f} | {r['fit_s']:.1f} | "
                     f"{r['after_fit_s']:.1f} | {r['trials']} | {r['epochs']} | {r['in_trial_s']:.1f} |")
    done = {r["study"] for r in rows}
    missing = [s for s in registry.STUDIES if s not in done]
    lines += ["", f"Sum: {sum(r['wall_s'] for r in rows) / 60:.1f} min for {len(rows)} of "
              f"{len(registry.STUDIES)} studies" + (f" (not timed: {', '.join(missing)})." if missing else ".")]
    return "\n".join(lines) + "\n"
