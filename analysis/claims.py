"""Every claim the report makes about each study's comparison, quoted from the report's text
(analysis/report_text.txt, a copy of the report), and what kind of claim it is:

* `finding`: testable on a study's trials; `test` names the arms, the metric and the direction.
* `check`: holds by construction (e.g. average pooling gives two anagram sentences the same
  score for any weights): a sanity check of the code, never evidence for the report.
* `untestable`: `test` gives the reason (needs the report's A100, a visual judgement, an arm the
  report's design lacks, no measurable statement).

`tested_by` is the claim text of the finding(s) of analysis/report/<study>.py that test it, " | "
between several, with a " [...]" note after one where its measure is not the claim's or covers it in
part (`partly_tested()` lists those), or "" if no finding tests it yet (`missing()`). The specs'
findings carry these quotes (`attach`, called by ReportSpec): tests/test_claims.py checks that every
`finding` claim has its findings, every `check` is shown as a check, every `untestable` is listed. A quote may carry several claims (one per
`test`). `python -m analysis.claims` prints every study's claims and the missing findings.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FINDING, CHECK, UNTESTABLE = "finding", "check", "untestable"
REPORT_TEXT = Path(__file__).with_name("report_text.txt")


@dataclass(frozen=True)
class Claim:
    quote: str        # verbatim from the report (whitespace may differ)
    where: str        # the section, table or figure it comes from
    kind: str         # FINDING, CHECK or UNTESTABLE
    test: str         # finding: arms, metric, direction; check: why it holds; untestable: why not
    tested_by: str = ""


def F(quote, where, test, tested_by=""):
    return Claim(quote, where, FINDING, test, tested_by)


def C(quote, where, why, tested_by=""):
    return Claim(quote, where, CHECK, why, tested_by)


def U(quote, where, why):
    return Claim(quote, where, UNTESTABLE, why)


S1, T1 = "Section 1 (Network Training)", "Table 1"
CLAIMS: dict[str, tuple[Claim, ...]] = {
    "regularization": (
        F("Under **moderate augmentation setting**, the model achieved higher validation accuracy and lower "
          "validation loss compared to the baseline.", S1,
          "moderate_aug above baseline on best val. accuracy", "Moderate augmentation beats the baseline"),
        F("Under **moderate augmentation setting**, the model achieved higher validation accuracy and lower "
          "validation loss compared to the baseline.", S1, "moderate_aug below baseline on best (min) val. loss",
          "Moderate augmentation lowers the best validation loss below the baseline's"),
        F("Surprisingly, the test result are even better than the training", S1,
          "moderate_aug: final val. accuracy above final train accuracy (the paired difference per seed > 0)",
          'Moderate augmentation: final validation accuracy above final training accuracy'),
        F("the gap between training and validation curves remained stable over epochs, indicating that "
          "augmentation also helped reduce overfitting", S1,
          "moderate_aug: train - val. accuracy gap smaller than baseline's at the last epoch, and its slope "
          "over epochs not above 0",
          'Moderate augmentation: smaller train-val. gap at the last epoch than the baseline, and a gap that does not widen (slope per epoch) (measure: train - val. accuracy per epoch)'),
        F("When using **aggressive augmentation**, performance was still better than the baseline but slightly "
          "worse than the moderate version.", S1,
          "aggressive_aug above baseline on best val. accuracy (the report's own Table 1 has them equal, 75%)",
          'Aggressive augmentation still beats the baseline'),
        F("When using **aggressive augmentation**, performance was still better than the baseline but slightly "
          "worse than the moderate version.", S1, "aggressive_aug below moderate_aug on best val. accuracy",
          "Aggressive augmentation is below moderate"),
        F("The loss and accuracy plot become smoother with a reduced overfitting.", S1,
          "dropout: val. loss curve smoother than baseline's (residual std around its trend over epochs)",
          'Dropout: smoother validation loss curve than the baseline (measure: std of the per-epoch val. loss around its least-squares line)'),
        F("The loss and accuracy plot become smoother with a reduced overfitting.", S1,
          "dropout: train - val. accuracy gap at the last epoch smaller than baseline's",
          'Dropout: smaller train-val. gap at the last epoch than the baseline'),
        F("Dropout (0.3)\t80%", T1, "dropout above baseline on best val. accuracy (80% vs 75%)",
          "Dropout (0.3) helps over the baseline"),
        F("However in my case, BN worse the performance", S1,
          "batch_norm below baseline on best val. accuracy (Table 1 has them equal, 75%)",
          'BN is below the baseline'),
        U("if the learning rate is too high, the redistribution from BN can amplify oscillations, preventing "
          "stable convergence", S1,
          "a conjecture about the cause ('maybe'): needs a BN x learning-rate design with an oscillation "
          "measure; each arm keeps only its best rate"),
        F("BN + Dropout\t65%", T1,
          "batch_norm_dropout lowest best val. accuracy of all arms but zero_init",
          'BN + Dropout is the lowest of all methods but zero initialisation'),
        F("The validation curve is oscillating and the gap between train and validation stays roughly constant "
          "rather than widening.", S1,
          "batch_norm_dropout: val. accuracy oscillates more than baseline's (residual std around its trend)",
          "BN + Dropout: validation accuracy oscillates more than the baseline's (measure: std of the per-epoch val. accuracy around its least-squares line)"),
        F("The validation curve is oscillating and the gap between train and validation stays roughly constant "
          "rather than widening.", S1,
          "batch_norm_dropout: slope of the train - val. gap over epochs below baseline's (and about 0)",
          "BN + Dropout: the train-val. gap stays about constant (slope per epoch below the baseline's, and below 0.25 points/epoch)"),
        C("This result in a graph where training accuracy and loss curve to stay at a specific level (10%).", S1,
          "every weight and bias zero: hidden activations are 0, only the output bias gets a gradient, so the "
          "net predicts one class for every input: chance by construction (the report explains just this)",
          "Zero initialisation stays at chance (10%)"),
    ),
    "lr_sweep": (
        F("higher learning rate will result in faster convergence of training", "Section 1, Figure 1",
          "train loss after a fixed early budget falls as lr rises (Spearman over rates that trained)",
          "Larger learning rates converge faster"),
        F("but also introduce more oscillations", "Section 1, Figure 1",
          "oscillation of the per-batch loss around its trend (or at matched loss) rises with lr",
          "Larger learning rates oscillate more [measure: step-to-step std divided by the epoch's loss, "
          "which grows as the loss falls]"),
    ),
    "transfer": (
        F("When training VGG-16 from scratch, the training stopped after only five epochs, with both training "
          "and test accuracies remaining very low.", "Section 2, Table 2",
          "scratch: test accuracy near chance", "Training from scratch: test accuracy stays near chance"),
        F("When training VGG-16 from scratch, the training stopped after only five epochs, with both training "
          "and test accuracies remaining very low.", "Section 2, Table 2",
          "scratch: train accuracy near chance too, and early stopping ends it within patience + 1 epochs",
          'Training from scratch: train accuracy near chance too [the early-stop epoch is not tested]'),
        U("This poor performance was due to inadequate hyperparameter tuning (e.g. learning rate and weight "
          "initialization).", "Section 2",
          "a cause: needs scratch runs with and without tuning side by side (full: one rate for every arm; "
          "local: every arm's rate tuned, so no untuned scratch run to compare)"),
        F("which results in fast convergence(few epochs) and higher accuracy on the target dataset",
          "Section 2, Table 2", "transfer and finetune reach their best val. accuracy in fewer epochs than scratch",
          "Transfer and fine-tune converge in few epochs (fewer than from scratch)"),
        F("As shown in Table 2, both accuracy and training time improved.", "Section 2, Table 2",
          "transfer above scratch on test accuracy (at the best val. epoch)",
          'Transfer beats training from scratch on test accuracy'),
        F("The training time for each epoch is faster than train from scratch, because the model only need to "
          "update the fully connected layers which is relatively easy.", "Section 2, Table 2",
          "transfer below scratch on mean s/epoch (same machine, same run)",
          'Transfer takes less time per epoch than training from scratch'),
        F("Finally, I assessed the fine-tuning method, which also converged around the 13th epoch, yielded the "
          "highest accuracy.", "Section 2, Table 2", "finetune highest test accuracy",
          "Fine-tune reaches the highest test accuracy"),
        F("further training may lead to overfitting, where training accuracy is far higher than test accuracy",
          "Section 2, Figure 2", "transfer and finetune: train - test accuracy gap > 0 (paired over seeds)",
          'Transfer and fine-tune overfit: train accuracy above test accuracy (at the best val. epoch)'),
        F("In our experiments, fine-tuning has most overfitting", "Section 2, Figure 2",
          "finetune largest train - test gap", "Fine-tune overfits most (largest train-test gap)"),
        F("fine-tuning takes longer time for each epoch because it updates all parameters in the network",
          "Section 2, Table 2", "finetune above transfer on mean s/epoch",
          "Fine-tune costs more time per epoch than transfer"),
        F("I fine-tuned ResNet50, which achieved slightly better accuracy than VGG-16.", "Section 2, Table 2",
          "resnet50_finetune above finetune on test accuracy (full profile only: no VGG16/ResNet50 weights "
          "offline)", "ResNet50 fine-tune is slightly better than VGG16 fine-tune"),
        U("(GPU used: A100)", "Section 2, Table 2",
          "the absolute times (147.51 / 8.01 / 19.05 / 18.8 s per epoch) need the report's A100, Tiny-ImageNet "
          "and VGG16; only their order is tested (above)"),
        U("Time /image(ms)", "Table 2",
          "the ms/image column orders the methods opposite to s/epoch (fine-tune 0.2516 < transfer 0.5218) and "
          "the report does not say what was timed (training or inference, batch size)"),
    ),
    "window_size": (
        F("using a small window size may limit the model's ability to capture long-term trends, leading to more "
          "fluctuating predictions", "Section 3.1",
          "forecast roughness (std of the forecasts' month-to-month change) falls as the window grows",
          "Forecasts get smoother as the window grows (measure: std of the forecasts' month-to-month change over the test months)"),
        F("For a window size of 12, as expected, the model produced the smoothest predictions", "Section 3.1, "
          "Figure 3", "window_12 lowest forecast roughness",
          'A window of 12 months gives the smoothest forecasts (same measure)'),
        F("but failed to capture and follow the short-term changes, yielding the worst performance",
          "Section 3.1, Figure 3", "window_12 highest test RMSE",
          "A window of 12 months gives the highest test RMSE"),
        F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
          "similar best performance in my tests", "Section 3.1, Figure 3",
          "window_1 and window_3 below window_6 and window_12 on test RMSE",
          "Windows of 1 and 3 months give the lowest test RMSE"),
        F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
          "similar best performance in my tests", "Section 3.1, Figure 3",
          "window_1 and window_3 equivalent on test RMSE (TOST within a stated margin)",
          'Windows of 1 and 3 months reach similar test RMSE (equivalence within the SESOI)'),
        F("using a window size of 1 and 3, the model reacted more quickly to short-term changes and achieved the "
          "similar best performance in my tests", "Section 3.1, Figure 3",
          "windows 1 and 3 track month-to-month changes better than 12 (correlation of forecast and actual "
          "change on the test months)",
          "Windows of 1 and 3 months follow short-term changes better than 12 (measure: correlation of the forecast's and the actual month-to-month change over the test months)"),
        U("So the 3-month window would be more trustworthy configuration for this dataset.", "Section 3.1",
          "a judgement ('potentially missing gradual long-term trends', 'more trustworthy') with no measure; "
          "noise susceptibility would need noisy-input arms"),
    ),
    "sentiment": (
        U("This setup limits performance on capture semantic nuances or other relations between words.",
          "Section 3.2", "names no metric; the report's own Table 3 has the 1-d model (0.8520) above the "
                         "300-d LSTM (0.8500)"),
        C("Since both example sentences contain the same words, despite in a different order, the model outputs "
          "identical Scores.", "Section 3.2, Table 3",
          "average pooling is order-blind: two anagram sentences get the same score for any weights",
          "The embedding model gives both sentences the same score (word order ignored)"),
        U("A higher embedding dimension allows the model to capture detailed semantic information for each word.",
          "Section 3.2", "confounded: the LSTM arm changes the dimension (1 -> 300) and adds the LSTM at once; "
                         "needs a 300-d average-pooling arm"),
        F("This enables the model to understand that the phrase “not boring” has a different sentiment than "
          "“boring” by itself.", "Section 3.2, Table 3",
          "lstm and lstm_glove: score of 'good and not boring' above 'boring and not good', every seed",
          "The LSTMs score 'good and not boring' above 'boring and not good'"),
        C("As a result, the model assigns different scores to the two example sentences", "Section 3.2, Table 3",
          "any order-aware model with random weights scores two different sequences differently",
          "The LSTMs score the two sentences differently (word order matters)"),
        F("This leads to best overall performance among three models.", "Section 3.2, Table 3",
          "lstm_glove highest test accuracy (one change at a time: locally GloVe is 50-d against a 300-d plain "
          "LSTM, needs a 50-d random-init control)", "GloVe initialisation gives the best test accuracy"),
    ),
    "textgen_temperature": (
        F("As a result, the generated text is highly predictable and close to the training data.",
          "Section 3.3", "share of generated n-grams found in the training text falls as temperature rises",
          "Generated text copies the training text less as the temperature rises (measure: the share of the "
          "samples' word 4-grams found in the training text)"),
        F("This leads to a higher BLEU score because the n-gram overlap with the reference text is larger.",
          "Section 3.3, Figures 4, 5", "BLEU falls as temperature rises, word and char level (Spearman)",
          "BLEU falls as the sampling temperature rises (word level) | BLEU falls as the sampling temperature rises "
          "(char level)"),
        F("This produces more creative text", "Section 3.3",
          "distinct-n (share of distinct n-grams among generated ones) rises with temperature",
          "Generated text gets more varied as the temperature rises (measure: distinct-2, distinct word bigrams / "
          "all, over every sample of the chosen trial at that temperature)"),
        U("but it can also lead to less coherent or grammatically correct output", "Section 3.3",
          "coherence and grammar need human rating or a grammar model"),
        F("Consequently, the BLEU score tends to decrease at higher temperatures.", "Section 3.3, Figures 4, 5",
          "same as above: BLEU falls with temperature",
          "BLEU falls as the sampling temperature rises (word level) | BLEU falls as the sampling temperature rises "
          "(char level)"),
        F("Also, BLEU score usually higher in word level model", "Section 3.3, Figures 4, 5",
          "word above char on BLEU (mean over temperatures)",
          "Word-level BLEU is above character-level BLEU (mean over temperatures)"),
        U("n-gram overlaps are computed over characters, so even small changes (e.g. a missing or extra letter) "
          "can affect the score", "Section 3.3",
          "an explanation of how the report computed BLEU; this study scores both levels over word tokens on "
          "purpose, so the mechanism is absent by design"),
        C("it can generate words that were never seen during training", "Section 3.3",
          "the word model has a closed vocabulary and the char model can spell any string: true by construction "
          "(the char model's novel-word rate is still worth showing)"),
        U("so the output are usually more creative", "Section 3.3",
          "'creative' has no measure in the report (distinct-n and novel-word rate are proxies)"),
    ),
    "autoencoder_structure": (
        F("The network is able to capture the non-linear features of the input due to non-linear activation "
          "function.", "Section 4.1", "mlp below pca on test MSE",
          "The MLP autoencoder reaches a lower test MSE than PCA"),
        F("Table 4 shows that the autoencoder, which captures non-linear features, is crucial for achieving low "
          "MSE.", "Section 4.1, Table 4", "mlp and cnn below pca on test MSE",
          "The CNN autoencoder reaches a lower test MSE than PCA"),
        F("When using convolution layer connect with a classifier, this structure can result in accuracy about "
          "95%.", "Section 4.1, Table 4",
          "cnn highest code-classifier test accuracy (above mlp and pca)",
          "A classifier on the CNN codes beats one on the PCA codes and one on the MLP codes"),
        F("In contrast, PCA, which only captures linear features, yields a higher MSE, and even with a "
          "classifier, its accuracy is only around 80%.", "Section 4.1, Table 4",
          "pca lowest code-classifier test accuracy (below mlp too)",
          "A classifier on the PCA codes is below one on the MLP codes (so PCA's is the lowest)"),
        U("using too many dropout could potentially destroy important features", "Section 4.1",
          "a design rationale: needs arms with more dropout layers, not part of Table 4"),
        U("is applied before each activation layer to prevents exploding or vanishing gradients and speeds up "
          "training", "Section 4.1", "a design rationale: needs a no-BN arm, not part of Table 4"),
    ),
    "denoising_loss": (
        F("MSE heavily penalizes large pixel-level deviations, yielding moderate performance but not best "
          "overall reconstruction.", "Section 4.2, Table 5",
          "mse not lowest valid MSE: some loss (mae, ms_ssim) below it",
          "MS-SSIM-trained reaches a lower validation MSE than MSE-trained"),
        F("so training process become smoother", "Section 4.2",
          "mae: val. MSE curve smoother than mse's (std of the per-epoch val. MSE around its least-squares "
          "line: every arm reports val. MSE per epoch, so one scale for both)",
          "MAE-trained: smoother training (measure: std of the per-epoch validation MSE around its least-squares line, below the MSE-trained model's)"),
        F("MAE\t0.0055\t0.0054", "Table 5",
          "mae below mse on valid MSE (Table 5: 0.0055 vs 0.0058)",
          "MAE-trained reaches a lower validation MSE than MSE-trained"),
        U("the reconstruction often looks more natural", "Section 4.2, Figures 6, 22",
          "a visual judgement of the figures"),
        F("SSIM focuses on structural similarity rather than exact pixels, so it has higher MSE", "Section 4.2, "
          "Table 5", "ssim highest valid MSE", "SSIM-trained has the highest validation MSE"),
        U("but can produce perceptually better images", "Section 4.2, Figure 23",
          "perceptual quality needs human judgement (the SSIM-trained model scoring best on SSIM would hold "
          "nearly by construction)"),
        F("MS-SSIM refines SSIM across multiple scales, so model trained based on both global and local "
          "features, this achieving better pixel match.", "Section 4.2, Table 5",
          "ms_ssim below mse and ssim on valid MSE",
          "MS-SSIM-trained reaches a lower validation MSE than MSE-trained | SSIM-trained has the highest "
          "validation MSE [ms_ssim below ssim: by the SSIM finding]"),
    ),
    "vae_gan": (
        F("When with KL layer, MSE is slightly higher", "Section 5.1, Table 6",
          "vae_no_kl below vae_kl on reconstruction MSE", "Without the KL term the reconstruction MSE is lower"),
        F("Moreover, IS is higher, indicating more diverse and realistic samples", "Section 5.1, Table 6",
          "vae_kl above vae_no_kl on IS", "Without the KL term the Inception Score is lower too"),
        F("As an result GANs often achieve a higher Inception Score (IS) since the generated samples are more "
          "realistic.", "Section 5.1, Table 6", "gan highest IS", "The GAN has the highest Inception Score"),
        F("However, this adversarial loss training can easily failed, which requires a careful hyperparameter "
          "tuning", "Section 5.1",
          "gan: more trials collapse/diverge, and IS spreads more over the lr grid, than either VAE",
          "The GAN is harder to train: more of its trials diverge, and its IS varies more over the learning-rate grid, than either VAE's (measure: per seed, over every trial of the grid)"),
    ),
    "colorization": (
        F("cGAN and the UNet achieve similar MAE values on the test set (0.0458 vs. 0.0449, respectively)",
          "Section 5.2", "cgan and unet equivalent on test MAE (within a stated margin), both below the "
                         "mean-colour baseline", "The cGAN and the UNet reach similar test MAE"),
        F("Theoretically, cGAN training encourages its generator to produce images with sharper details and more "
          "realistic colors to misguide discriminator.", "Section 5.2",
          "cgan closer to the truth's colours than unet (chroma error, or a distance between the a,b "
          "distributions of outputs and truth)",
          "The cGAN's colours are more realistic than the UNet's (measure: the distance of the test outputs' a,b "
          "distribution from the truth's: 1-D Wasserstein of a plus that of b, Lab units; lower is closer)"),
        F("Theoretically, cGAN training encourages its generator to produce images with sharper details and more "
          "realistic colors to misguide discriminator.", "Section 5.2",
          "cgan's a,b gradient energy closer to the truth's than unet's (sharper colour edges)",
          "The cGAN's colour edges are as sharp as the truth's, more than the UNet's [not measured: no edge energy reported]"),
        U("it is clear that the cGAN's colorization aligns more closely to realistic, particularly on the "
          "\"animal's body\" part", "Section 5.2, Figure 24",
          "a visual judgement of one figure; the colour-distance finding above is its measurable stand-in"),
        U("Hence, the cGAN is better result compare with uNet autoencoder.", "Section 5.2",
          "an overall judgement with no metric (the report's one number, MAE, has the UNet slightly better)"),
    ),
    "exploration": (
        C("the agent explores more randomly at the beginning of training, then increasingly shifts toward a "
          "greedy policy as ϵ decays", "Section 6, Figure 8",
          "epsilon follows a decaying schedule: true by construction"),
        F("often leading to a rapid initial performance boost followed by a plateau", "Section 6, Figure 8",
          "q_eps above q_softmax on mean return over the first third of blocks",
          "Q-learning: ε-greedy rises fast early (higher mean return over the first third of training than "
          "softmax)"),
        F("often leading to a rapid initial performance boost followed by a plateau", "Section 6, Figure 8",
          "q_eps: late gain (last third minus middle third) below q_softmax's",
          "Q-learning: ε-greedy then plateaus (smaller late gain, last third minus middle third, than softmax)"),
        C("a higher temperature promotes more uniform exploration and a lower temperature makes the policy more "
          "greedy", "Section 6", "a property of the softmax over Q-values: true by construction"),
        F("This can result in a smoother learning curve", "Section 6, Figures 8, 9",
          "q_softmax (and dqn_softmax) lower roughness of the block-return curve than eps",
          "Q-learning: softmax gives a smoother curve (lower mean absolute block-to-block change of the return) | "
          "DQN: softmax gives a smoother curve (lower mean absolute block-to-block change)"),
        F("slightly slower convergence compared to a purely ϵ -greedy approach", "Section 6, Figures 8, 9",
          "softmax needs more episodes than eps for the GREEDY policy's return to reach the threshold",
          "Q-learning: softmax converges slightly slower (smaller area under the greedy policy's return curve) | "
          "DQN: softmax converges slightly slower (smaller area under the greedy policy's return curve) | "
          "Q-learning: softmax converges slightly slower by the greedy policy (more episodes until the greedy "
          "policy's return first reaches the return threshold) | "
          "DQN: softmax converges slightly slower by the greedy policy (more episodes until the greedy "
          "policy's return first reaches the return threshold)"),
    ),
}


def normalise(text: str) -> str:
    """Runs of whitespace (spaces, tabs, line breaks) to one space."""
    return re.sub(r"\s+", " ", text).strip()


def report_text() -> str:
    return REPORT_TEXT.read_text(encoding="utf-8")


def not_in_report(text: str | None = None) -> list[tuple[str, str]]:
    """(study, quote) of every quote that is not in the report, whitespace-normalised."""
    body = normalise(text if text is not None else report_text())
    return [(study, c.quote) for study, claims in CLAIMS.items() for c in claims
            if normalise(c.quote) not in body]


def missing(study: str) -> list[Claim]:
    """The study's testable claims that no finding of analysis/report/<study>.py tests yet."""
    return [c for c in CLAIMS[study] if c.kind == FINDING and not c.tested_by]


def partly_tested(study: str) -> list[Claim]:
    """Findings tested today only in part or by a measure that is not the claim's ("[...]" notes)."""
    return [c for c in CLAIMS[study] if c.kind == FINDING and " [" in c.tested_by]


def names(c: Claim) -> list[str]:
    """The claim texts of the findings that test `c` (tested_by: " | " between them, a "[...]"
    note after one about its measure)."""
    return [n.split(" [")[0].strip() for n in c.tested_by.split(" | ") if n.strip()]


def attach(study: str, found: list) -> list:
    """The spec's findings tied to the report: each gets the quote(s) of the claims it tests, and
    is a check where those claims hold by construction; then a stated check for each check-claim no
    finding computes, an `untestable` row for each claim this design cannot test, and an
    inconclusive row for any testable claim the spec forgot (tests/test_claims.py keeps that empty)."""
    from dataclasses import replace

    from analysis import findings as fd
    items = CLAIMS.get(study, ())
    out, shown = [], set()
    for f in found:
        mine = [c for c in items if f.claim in names(c)]
        shown |= {id(c) for c in mine}
        kind = fd.CHECK if any(c.kind == CHECK for c in mine) else fd.EVIDENCE
        quote = " … ".join(dict.fromkeys(normalise(c.quote) for c in mine))
        out.append(replace(f, kind=kind, quote=quote, where="; ".join(dict.fromkeys(c.where for c in mine))))
    for c in items:
        if id(c) in shown:
            continue
        if c.kind == CHECK:
            out.append(replace(fd.stated(c.test, fd.REPRODUCED, "holds by construction (not tested on the run)"),
                               kind=fd.CHECK, quote=normalise(c.quote), where=c.where))
        elif c.kind == UNTESTABLE:
            out.append(fd.untestable(normalise(c.quote), c.where, c.test))
        else:
            out.append(replace(fd.stated(c.test, fd.INCONCLUSIVE, "no finding of this spec tests it yet"),
                               quote=normalise(c.quote), where=c.where))
    return out


def counts(study: str) -> dict[str, int]:
    return {k: sum(c.kind == k for c in CLAIMS[study]) for k in (FINDING, CHECK, UNTESTABLE)}


def main() -> None:
    for study, claims in CLAIMS.items():
        n = counts(study)
        print(f"## {study}: {n[FINDING]} findings, {n[CHECK]} checks, {n[UNTESTABLE]} untestable, "
              f"{len(missing(study))} findings without a test, {len(partly_tested(study))} tested in part")
        for c in claims:
            status = "" if c.kind != FINDING else (f" (tested: {c.tested_by})" if c.tested_by else " (MISSING)")
            print(f"- [{c.kind}] «{normalise(c.quote)}» ({c.where}): {c.test}{status}")
        print()


if __name__ == "__main__":
    main()
