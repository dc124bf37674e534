#!/usr/bin/env python3
"""Scores `leakguard analyze` on labelled traces with the shared scorer and fails when the figures
drop below the bars: by default those of the detection issues, F1 >= 0.97, no false alarm on a
benign trace, median lead >= 0.70, 10th-percentile lead >= 0.35.

usage: check_score.py LEAKGUARD_BINARY [TRACES_DIR] [--bar NAME=VALUE ...]
TRACES_DIR (a folder of traces with their labels.json) defaults to the public traces: at
$LEAKGUARD_TRACES/public, else ../shared/traces/public next to the repository, else
/work/shared/traces/public. The scorer (score.py) is found in the same places. Not finding them
is a failure, not a skip. --bar f1=0 (or false_alarms, lead_median, lead_p10) sets one bar."""
import argparse, json, os, subprocess, sys

BARS = {"f1": 0.97, "false_alarms": 0, "lead_median": 0.70, "lead_p10": 0.35}


def traces_dir():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    for d in (os.environ.get("LEAKGUARD_TRACES"), os.path.join(repo, "..", "shared", "traces"),
              "/work/shared/traces"):
        if d and os.path.isfile(os.path.join(d, "score.py")) and os.path.isdir(os.path.join(d, "public")):
            return os.path.abspath(d)
    sys.exit("FAIL: labelled traces not found (set LEAKGUARD_TRACES to the traces directory)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("traces", nargs="?")
    ap.add_argument("--bar", action="append", default=[])
    args = ap.parse_args()
    for b in args.bar:
        name, _, value = b.partition("=")
        if name not in BARS:
            sys.exit("FAIL: --bar %s: no such bar (%s)" % (b, ", ".join(sorted(BARS))))
        BARS[name] = float(value)
    binary = os.path.abspath(args.binary)
    d = traces_dir()
    traces = os.path.abspath(args.traces) if args.traces else os.path.join(d, "public")
    if not os.path.isfile(os.path.join(traces, "labels.json")):
        sys.exit("FAIL: no labels.json in %s" % traces)
    out = subprocess.run([sys.executable, os.path.join(d, "score.py"), traces,
                          "--cmd", binary + " analyze", "--json"],
                         capture_output=True, text=True, timeout=1200)
    if out.returncode != 0:
        sys.exit("FAIL: scorer exited %d: %s" % (out.returncode, out.stderr[-2000:]))
    report = json.loads(out.stdout)
    det = report["detector"]
    print("detector: F1 %.3f precision %.3f recall %.3f false alarms %d/%d median lead %.3f p10 lead %.3f"
          % (det["f1"], det["precision"], det["recall"], det["false_alarms"], det["benign"],
             det["lead_median"], det["lead_p10"]))
    for name in ("predict_linear", "threshold90"):
        r = report[name]
        print("%s: F1 %.3f false alarms %d/%d median lead %.3f p10 lead %.3f"
              % (name, r["f1"], r["false_alarms"], r["benign"], r["lead_median"], r["lead_p10"]))
    failures = []
    if det["f1"] < BARS["f1"]:
        failures.append("F1 %.3f < %.2f" % (det["f1"], BARS["f1"]))
    if det["false_alarms"] > BARS["false_alarms"]:
        failures.append("false alarms on %s" % ", ".join(det["false"]))
    if det["lead_median"] < BARS["lead_median"]:
        failures.append("median lead %.3f < %.2f" % (det["lead_median"], BARS["lead_median"]))
    if det["lead_p10"] < BARS["lead_p10"]:
        failures.append("p10 lead %.3f < %.2f" % (det["lead_p10"], BARS["lead_p10"]))
    if det["missed"]:
        print("missed: " + " ".join(det["missed"]))
    if failures:
        sys.exit("FAIL: " + "; ".join(failures))
    print("PASS: all bars met")


if __name__ == "__main__":
    main()
