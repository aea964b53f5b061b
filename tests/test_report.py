"""The HTML report: sentences computed from the numbers (unit tests on small tables), and the real report of a smoke
run opened in headless Chromium (every image decoded, every section there, nothing logged as an error)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest
from conftest import REPO, load

from weightdist import report
from weightdist.claims import CONTRADICTED, INCONCLUSIVE, SUPPORTED

# ---------------------------------------------------------------------------------------------------------------------
# Small constructed tables


def summary_row(mean=0.0, std=0.1, skew=0.0, kurtosis=0.0, near0=0.08, n=3, sd=0.01) -> pd.Series:
    values = {"mean": mean, "std": std, "skew": skew, "kurtosis": kurtosis, "q05": mean - 1.6 * std,
              "q95": mean + 1.6 * std, "frac_near_zero": near0}
    row = {"n_seeds": n, "model": "vgg", "init": "default", "param": "conv1.weight"}
    for k, v in values.items():
        row[f"{k}_mean"], row[f"{k}_sd"] = v, sd
    return pd.Series(row)


def seeds(n=3, **cols) -> pd.DataFrame:
    base = {"mean": 0.0, "std": 0.1, "skew": 0.0, "kurtosis": 0.0, "frac_near_zero": 0.08}
    base.update(cols)
    return pd.DataFrame({k: v if isinstance(v, list) else [v] * n for k, v in base.items()})


def claim(verdict: str, id_: str = "A1b", values: str = "Model 2 median: 0.0103 ± 0.00549 (n=2)") -> pd.Series:
    return pd.Series({"id": id_, "source": "Figure 1", "claim": "Model 2's conv1 is shifted left",
                      "measured": "median < 0", "values": values, "verdict": verdict, "rule": "holds for every seed"})


class TestSentences:
    def test_describe_uses_the_numbers(self):
        s = report.describe_layer("Model 1 conv1", summary_row(mean=0.0123, std=0.234, near0=0.0456), None, 0.1)
        assert "0.0123 ± 0.01" in s and "0.234 ± 0.01" in s and "4.6 %" in s and "3 seeds" in s
        assert "8.0 %" in s            # a normal's share within 0.1 sd, computed
        assert "centred at zero" in s and "roughly symmetric" in s and "tails close to a normal's" in s

    def test_describe_words_follow_thresholds(self):
        s = report.describe_layer("x", summary_row(mean=-0.05, std=0.1, skew=1.2, kurtosis=3.0, near0=0.2), None, 0.1)
        assert "shifted left of zero" in s and "-0.50 sd from zero" in s
        assert "longer tail to the right" in s and "peaked, heavier tails" in s
        assert "more piled up at zero than a normal" in s
        s = report.describe_layer("x", summary_row(kurtosis=-1.2, near0=0.02), None, 0.1)
        assert "flatter than a normal" in s and "fewer weights near zero" in s and "a uniform -1.2" in s

    def test_describe_says_when_seeds_disagree(self):
        s = report.describe_layer("x", summary_row(skew=0.45), seeds(skew=[0.1, 0.2, 0.9]), 0.1)
        assert "mixed over seeds: 2 of 3 roughly symmetric, 1 of 3 skewed" in s

    def test_describe_single_seed_has_no_sd(self):
        s = report.describe_layer("x", summary_row(n=1, sd=float("nan")), None, 0.1)
        assert "1 seed," in s and "±  " not in s and " ± n/a" not in s

    def test_describe_no_run(self):
        assert report.describe_layer("x", summary_row(n=0), None, 0.1) == "x: no completed run."

    def test_compare_uses_the_seed_rule(self):
        a = seeds(std=[0.10, 0.11, 0.12], mean=[0.0, 0.01, -0.01])
        b = seeds(std=[0.20, 0.21, 0.22], mean=[0.005, -0.02, 0.02], frac_near_zero=[0.01, 0.02, 0.03])
        s = report.compare_layer("Model 1", a, "Model 2", b)
        assert re.search(r"larger in every pair of seeds: spread \(sd\) 0\.21 vs 0\.11", s)
        assert re.search(r"smaller in every pair of seeds: share near zero 0\.02 vs 0\.08", s)
        assert "overlap" in s and "centre" in s.split("overlap")[1]

    def test_compare_too_few_seeds(self):
        s = report.compare_layer("Model 1", seeds(n=1), "Model 2", seeds(n=3))
        assert "fewer than 2 completed seeds" in s

    @pytest.mark.parametrize("verdict,word", [(SUPPORTED, "supported"), (CONTRADICTED, "contradicted"),
                                              (INCONCLUSIVE, "inconclusive")])
    def test_claim_sentence_says_the_verdict(self, verdict, word):
        s = report.claim_sentence(claim(verdict))
        assert s.startswith(f"A1b: {word}.") and "0.0103 ± 0.00549" in s
        if verdict == CONTRADICTED:
            assert "the measurements say otherwise" in s

    def test_inconclusive_names_the_reason(self):
        assert "fewer than two seeds" in report.claim_sentence(claim(INCONCLUSIVE, values="x: 0.1 (n=1)"))
        assert "the seeds do not agree" in report.claim_sentence(claim(INCONCLUSIVE, values="x: 0.1 ± 0.2 (n=3)"))

    def test_verdict_counts(self):
        t = pd.DataFrame([claim(SUPPORTED), claim(CONTRADICTED), claim(CONTRADICTED)])
        assert report.verdict_counts(t) == "Of the 3 claims measured here: 1 supported, 2 contradicted, 0 inconclusive."

    def test_claims_for_matches_ids(self):
        t = pd.DataFrame([claim(SUPPORTED, i) for i in ("A1a", "A1b", "A10", "A2", "B1a")])
        assert list(report.claims_for(t, ["A1"]).id) == ["A1a", "A1b"]
        assert list(report.claims_for(t, ["A1", "A2"]).id) == ["A1a", "A1b", "A2"]

    def test_accuracy_sentences(self):
        t = pd.DataFrame([
            {"model": "vgg", "init": "he", "runs": 5, "diverged": 1, "epochs": 6, "test_acc_mean": 70.0,
             "test_acc_sd": 1.5, "test_loss_mean": 0.9, "test_loss_sd": 0.05, "report_test_acc": 75.43,
             "report_test_loss": 0.7715},
            {"model": "vgg", "init": "default", "runs": 5, "diverged": 0, "epochs": 6, "test_acc_mean": 72.0,
             "test_acc_sd": 2.0, "test_loss_mean": 0.8, "test_loss_sd": 0.04, "report_test_acc": 68.94,
             "report_test_loss": 1.8573}])
        s = report.accuracy_sentences(t, lambda r: r.init)
        assert "70 ± 1.5 %" in s[0] and "over 4 completed of 5 runs (1 diverged, not averaged in)" in s[0]
        assert "the report gives 75.43 %, 5.4 points above ours" in s[0]
        assert "3.1 points below ours" in s[1]
        assert s[2] == "Ranked by mean test accuracy: default > he. The original report ranks them differently: he > " \
                       "default."

    def test_distance_sentence(self):
        rows = pd.DataFrame([{"variant": "raw", "n_a": 3, "n_b": 3, "ks_between": 0.3, "ks_within": 0.05,
                              "ks_ratio": 6.0, "w1_between": 0.02, "w1_within": 0.004, "differs": True},
                             {"variant": "effective", "n_a": 3, "n_b": 3, "ks_between": 0.06, "ks_within": 0.05,
                              "ks_ratio": 1.2, "w1_between": 0.005, "w1_within": 0.004, "differs": False}])
        s = report.distance_sentence(rows)
        assert "0.3 against 0.05" in s and "differ beyond seed noise" in s
        assert "BatchNorm folded in" in s and "no difference beyond seed noise" in s

    def test_gap_sentence(self):
        rows = [{"model": "vgg", "init": i, "seed": 0, "status": "completed", "epoch": e, "test_acc": a}
                for i, accs in (("he", [0.1, 0.5, 0.7, 0.75]), ("default", [0.1, 0.1, 0.4, 0.74]))
                for e, a in enumerate(accs)]
        s = report.gap_sentence(pd.DataFrame(rows), "vgg", ["he", "default"])
        assert "40.0 points after epoch 1" in s and "1.0 points after the last epoch 3" in s
        assert "less than half its widest" in s

    def test_epoch_table_keeps_the_last_epoch(self):
        rows = [{"model": "resvgg", "init": "he", "seed": s, "status": st, "epoch": e, "test_acc": 0.01 * e}
                for s, st in ((0, "completed"), (1, "diverged")) for e in range(31)]
        t = report.epoch_table(pd.DataFrame(rows), [("resvgg", "he")])
        assert len(t.columns) == report.MAX_EPOCH_COLUMNS and t.columns[0] == 0 and t.columns[-1] == 30
        assert t.loc[("resvgg", "he"), 30] == pytest.approx(30.0)     # the diverged seed is not averaged in

    def test_diverged_runs_listed(self):
        runs = pd.DataFrame([{"model": "vgg", "init": "he", "seed": s, "status": st, "diverged_epoch": e}
                             for s, st, e in ((0, "completed", None), (1, "diverged", 3))])
        html = report.diverged_block(runs)
        assert "1 of 2 runs did not complete" in html and "<td>diverged</td><td>3</td>" in html
        assert "No run diverged" in report.diverged_block(runs.iloc[:1])


class TestDocument:
    def test_sections_follow_the_config(self, smoke_config):
        ids = report.section_ids(smoke_config)
        assert {"setup", "experiment-a", "experiment-b", "explanations", "a-conv1", "a-conv2", "a-conv3",
                "a-bn-gamma", "a-shortcut", "a-fc", "diverged"} <= set(ids)
        cfg = json.loads(json.dumps(smoke_config))
        cfg["experiments"]["a"] = None
        ids = report.section_ids(cfg)
        assert "experiment-a" not in ids and "experiment-b" in ids

    def test_missing_inputs_are_omitted(self, smoke_config, tmp_path):
        """No input file at all, experiment A off: still a document, without experiment A, saying what is missing."""
        cfg = json.loads(json.dumps(smoke_config))
        cfg["experiments"]["a"] = None
        out = tmp_path / "report.html"
        report.write_report(cfg, {}, str(out))
        text = out.read_text()
        assert 'id="experiment-a"' not in text and 'id="experiment-b"' in text and 'id="setup"' in text
        assert "Left out: Experiment A (config experiments.a is null)" in text
        assert "not available in PNG or SVG" in text
        assert text.isascii()

    def test_embedded_figures_need_png_or_svg(self, smoke_config):
        cfg = json.loads(json.dumps(smoke_config))
        assert all(f.endswith(".png") for f in report.embedded_figures(cfg))
        cfg["plots"]["formats"] = ["pdf", "svg"]
        assert all(f.endswith(".svg") for f in report.embedded_figures(cfg))
        cfg["plots"]["formats"] = ["pdf"]
        assert report.embedded_figures(cfg) == []


# ---------------------------------------------------------------------------------------------------------------------
# The real report in a browser

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), shutil.which("google-chrome"))
                 if p), None)
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--remote-debugging-pipe"]


class Browser:
    """Headless Chromium driven over the DevTools protocol through --remote-debugging-pipe (fd 3: commands in,
    fd 4: replies and events out, each message JSON ended by a NUL byte): no websocket client needed."""

    def __init__(self, executable: str, profile: Path, timeout: float = 60):
        self.timeout = timeout
        to_chrome_r, to_chrome_w = os.pipe()
        from_chrome_r, from_chrome_w = os.pipe()
        # copies above 10, so that placing them on fds 3 and 4 in the child cannot clobber one with the other
        child_in = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_chrome_r)
        os.close(from_chrome_w)

        def place_fds():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        self.proc = subprocess.Popen([executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     preexec_fn=place_fds, close_fds=False)
        os.close(child_in)
        os.close(child_out)
        self.write_fd, self.read_fd = to_chrome_w, from_chrome_r
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.read_fd], [], [], left)[0]:
                raise TimeoutError("no message from Chromium in time")
            chunk = os.read(self.read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError(f"Chromium closed the pipe: {self.proc.stderr.read().decode()[-2000:]}")
            self.buffer += chunk
        msg, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.write_fd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_for(self, method: str, session: str) -> dict:
        deadline = time.monotonic() + self.timeout
        for k, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events[k]
        while True:
            e = self._read_message(deadline)
            self.events.append(e)
            if e.get("method") == method and e.get("sessionId") == session:
                return e

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.write_fd)
        os.close(self.read_fd)


PAGE_CHECK = """JSON.stringify({
  images: Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, width: i.naturalWidth,
                                                 height: i.naturalHeight, data: i.src.startsWith('data:image/')})),
  ids: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
  external: Array.from(document.querySelectorAll('link[href], script[src], img[src], iframe'))
    .map(e => e.getAttribute('href') || e.getAttribute('src') || 'iframe').filter(u => !u.startsWith('data:')),
  height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,
  title: document.title})"""


def open_in_browser(page: Path, shot_dirs: list[Path], profile: Path) -> tuple[dict, list[dict]]:
    """Load `page`, wait for it, evaluate PAGE_CHECK, save screenshots into each of `shot_dirs` (report-top.png: the
    first 1800 px at full size; report-full.png: the whole page, scaled to fit 16000 px); return the check's result
    and the errors logged (console errors, exceptions, failed loads)."""
    browser = Browser(CHROMIUM, profile)
    try:
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        browser.wait_for("Page.loadEventFired", session)
        check = json.loads(browser.send("Runtime.evaluate", {"expression": PAGE_CHECK, "returnByValue": True},
                                        session=session)["result"]["value"])
        width = 1200
        browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 900, "deviceScaleFactor": 1,
                                                            "mobile": False}, session=session)
        height = json.loads(browser.send("Runtime.evaluate", {
            "expression": "JSON.stringify(document.documentElement.scrollHeight)", "returnByValue": True},
            session=session)["result"]["value"])
        shots = {"report-top.png": (min(height, 1800), 1.0), "report-full.png": (height, min(0.5, 16000 / height))}
        for name, (h, scale) in shots.items():
            shot = browser.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": width, "height": h, "scale": scale}}, session=session)
            for d in shot_dirs:
                d.mkdir(parents=True, exist_ok=True)
                (d / name).write_bytes(base64.b64decode(shot["data"]))
        # let late events (console messages) arrive
        browser.send("Runtime.evaluate", {"expression": "1"}, session=session)
    finally:
        browser.close()
    errors = []
    for e in browser.events:
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append(p)
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            errors.append(p)
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            errors.append(p)
        elif m == "Network.loadingFailed":
            errors.append(p)
    return check, errors


@pytest.fixture(scope="module")
def smoke_report(smoke_workdir):
    """The shared smoke run (conftest), whose DAG ends with results/report.html."""
    return smoke_workdir


@pytest.mark.slow
class TestSmokeReport:
    def test_self_contained(self, smoke_report):
        text = (smoke_report / "results/report.html").read_text()
        assert text.isascii() and text.startswith("<!DOCTYPE html>")
        assert not re.search(r"""(src|href)=["'](?!data:|#)""", text), "a link to another file"
        assert "<script" not in text and "@import" not in text and "url(" not in text

    def test_numbers_from_the_tables(self, smoke_report):
        """The report quotes the accuracy table and the claims' verdicts."""
        text = (smoke_report / "results/report.html").read_text()
        acc = pd.read_csv(smoke_report / "results/tables/accuracy.tsv", sep="\t")
        r = acc[(acc.model == "vgg") & (acc.init == "he")].iloc[0]
        assert report.pm(r.test_acc_mean, r.test_acc_sd, 4).replace("±", "&#177;") in text
        claims = pd.read_csv(smoke_report / "results/tables/claims.tsv", sep="\t")
        for _, c in claims.iterrows():
            assert f"{c.id}: {c.verdict}." in text

    def test_experiment_a_switched_off(self, smoke_report, tmp_path):
        """The same outputs with experiments.a null: no experiment A section, everything else still there."""
        cfg = load(REPO / "config/smoke.yaml")
        cfg["experiments"]["a"] = None
        wd = smoke_report
        inputs = {"runs": wd / "results/stats/runs.tsv", "layer_stats": wd / "results/stats/layer_stats.tsv",
                  "history": wd / "results/stats/history.tsv", "claims": wd / "results/tables/claims.tsv",
                  "group_comparison": wd / "results/stats/group_comparison.tsv",
                  "accuracy_correlation": wd / "results/stats/accuracy_correlation.tsv",
                  "tables": [str(wd / "results/tables/accuracy.tsv"), str(wd / "results/tables/expB_layers.tsv")],
                  "data": wd / "results/data/cifar10.json",
                  "figures": [str(wd / f) for f in report.embedded_figures(cfg)]}
        text = report.build_report(cfg, inputs)
        ids = set(re.findall(r'<section id="([^"]+)"', text))
        assert ids == set(report.section_ids(cfg)) and "experiment-a" not in ids
        assert "not available" not in text

    def test_diverged_run_listed(self, smoke_report, tmp_path):
        """A run marked diverged in runs.tsv is listed as diverged in the setup and counted out of the figures."""
        wd = smoke_report
        runs = pd.read_csv(wd / "results/stats/runs.tsv", sep="\t")
        hit = (runs.model == "vgg") & (runs.init == "he") & (runs.seed == 1)
        runs.loc[hit, ["status", "diverged_epoch"]] = ["diverged", 2]
        runs.to_csv(tmp_path / "runs.tsv", sep="\t", index=False)
        cfg = load(REPO / "config/smoke.yaml")
        text = report.build_report(cfg, {"runs": tmp_path / "runs.tsv",
                                         "layer_stats": wd / "results/stats/layer_stats.tsv",
                                         "tables": [str(wd / "results/tables/expA_layers.tsv")]})
        assert "1 of 16 runs did not complete" in text
        assert "<td>Model 2 (plain VGG)</td><td>He (Kaiming normal)</td><td>1</td><td>diverged</td><td>2</td>" in text

    def test_rebuilt_when_a_table_changes(self, smoke_report):
        """The report depends on what it embeds: a changed claims table or figure plans the report again, nothing
        else (Snakemake compares checksums, so the files' content must change, not only their time)."""
        from conftest import planned_jobs

        for name in ("results/tables/claims.tsv", "results/figures/expB/init_grid_fc.png"):
            path = smoke_report / name
            backup = path.read_bytes()
            path.write_bytes(backup + b"\n")
            try:
                jobs = planned_jobs(smoke_report, "--configfile=config/smoke.yaml", "results/report.html")
            finally:
                path.write_bytes(backup)
            assert jobs == {"html_report": 1}, name

    @pytest.mark.skipif(CHROMIUM is None, reason="needs a headless Chromium (Debian package chromium; "
                                                  "tests/system-deps.sh installs it)")
    def test_opens_in_a_browser(self, smoke_report, tmp_path):
        cfg = load(REPO / "config/smoke.yaml")
        check, errors = open_in_browser(smoke_report / "results/report.html",
                                        [tmp_path, smoke_report / "results/screenshots"], tmp_path / "profile")
        assert not errors, errors
        assert check["images"], "no image in the report"
        broken = [i["alt"] for i in check["images"] if not (i["complete"] and i["width"] > 0 and i["data"])]
        assert not broken, broken
        assert len(check["images"]) == len(report.embedded_figures(cfg))
        missing = set(report.section_ids(cfg)) - set(check["ids"])
        assert not missing, missing
        assert not check["external"], check["external"]
        for name in ("report-top.png", "report-full.png"):
            shot = (tmp_path / name).read_bytes()
            assert len(shot) > 10_000 and shot[:8] == b"\x89PNG\r\n\x1a\n"
