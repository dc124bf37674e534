#!/usr/bin/env python3
"""LeakGuard's alerts (charts/leakguard/files/leakguard.rules.yaml) without a cluster:
- `promtool check rules` accepts the file, and `promtool test rules` passes
  (tests/alerts/leakguard_rules_test.yaml);
- every alert there has a firing case and a silent case, a summary, a description and a
  runbook_url naming a section of RUNBOOKS.md that exists (and every section is an alert's);
- every LeakGuard metric an alert reads is one the code exports;
- the chart's PrometheusRule carries exactly these groups, with runbookBaseURL put before each
  runbook_url;
- the Grafana dashboard (charts/leakguard/files/leakguard-dashboard.json): every panel's query
  parses (promtool checks them as recording rules) and reads only metrics the code exports,
  every panel uses the dashboard's data source variable, and the chart's ConfigMap carries it.
  (That every query returns data once a leak ran is checked on the cluster, by
  tests/scenarios.)
promtool is the one e2e/cluster/build-binaries builds from the Go module
github.com/prometheus/prometheus (pinned in e2e/cluster/lib/common.sh) into the binary cache."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "packaging"))
from pkgtest import ENV, REPO, render  # noqa: E402

import yaml  # noqa: E402  (pkgtest says how to install it when missing)

RULES = os.path.join(REPO, "charts", "leakguard", "files", "leakguard.rules.yaml")
TESTS = os.path.join(REPO, "tests", "alerts", "leakguard_rules_test.yaml")
RUNBOOKS = os.path.join(REPO, "RUNBOOKS.md")
DASHBOARD = os.path.join(REPO, "charts", "leakguard", "files", "leakguard-dashboard.json")


def promtool(*args):
    try:
        return subprocess.run(["promtool", *args], capture_output=True, text=True, env=ENV,
                              timeout=300)
    except FileNotFoundError:
        raise AssertionError("no promtool on the PATH of e2e/cluster/env: run "
                             "e2e/cluster/build-binaries (it builds promtool from Go modules)")


def load(path):
    with open(path) as f:
        return yaml.safe_load(f)


def exported_metrics():
    """Every leakguard_* name the C++ code spells out."""
    exported = set()
    for top in ("operator", "controllers"):
        for root, _, files in os.walk(os.path.join(REPO, top)):
            for name in files:
                if name.endswith((".cpp", ".h")):
                    with open(os.path.join(root, name)) as f:
                        exported |= set(re.findall(r'"(leakguard_[a-z_]+)"', f.read()))
    return exported


def dashboard_queries():
    """(panel title, expr) of every target of the dashboard."""
    with open(DASHBOARD) as f:
        dash = json.load(f)
    return [(p["title"], t["expr"]) for p in dash["panels"] for t in p["targets"]]


def alerts():
    return [r for g in load(RULES)["groups"] for r in g["rules"] if "alert" in r]


class AlertsTest(unittest.TestCase):
    def test_promtool_checks_the_rules(self):
        r = promtool("check", "rules", RULES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS: %d rules found" % len(alerts()), r.stdout + r.stderr)

    def test_promtool_unit_tests_pass(self):
        r = promtool("test", "rules", TESTS)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("SUCCESS", r.stdout + r.stderr)

    def test_every_alert_has_a_firing_and_a_silent_case(self):
        firing, silent = set(), set()
        for t in load(TESTS)["tests"]:
            for case in t.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else silent).add(case["alertname"])
        names = {a["alert"] for a in alerts()}
        self.assertEqual(names - firing, set(), "alerts never seen firing")
        self.assertEqual(names - silent, set(), "alerts never seen silent")
        self.assertEqual((firing | silent) - names, set(), "cases of alerts that do not exist")

    def test_every_alert_is_explained_and_has_a_runbook(self):
        with open(RUNBOOKS) as f:
            sections = {line[3:].strip() for line in f if line.startswith("## ")}
        for a in alerts():
            with self.subTest(alert=a["alert"]):
                ann, labels = a.get("annotations", {}), a.get("labels", {})
                self.assertIn(labels.get("severity"), ("critical", "warning", "info"))
                self.assertTrue(ann.get("summary"))
                self.assertTrue(ann.get("description"))
                self.assertEqual(ann.get("runbook_url"), "RUNBOOKS.md#" + a["alert"].lower())
                self.assertIn(a["alert"], sections)
        self.assertEqual(sections - {a["alert"] for a in alerts()}, set(),
                         "runbook sections of no alert")

    def test_alerts_read_only_metrics_the_code_exports(self):
        exported = exported_metrics()
        self.assertIn("leakguard_policy_pods", exported)  # the scan itself works
        for a in alerts():
            for metric in re.findall(r"\b(leakguard_[a-z_]+)", a["expr"]):
                with self.subTest(alert=a["alert"], metric=metric):
                    self.assertIn(metric, exported)

    def test_the_charts_prometheus_rule_has_the_same_groups(self):
        base = "https://git.example.com/lg/blob/main/"
        objs = render({"metrics.prometheusRule.enabled": "true",
                       "metrics.prometheusRule.runbookBaseURL": base})
        rules = [o for o in objs if o["kind"] == "PrometheusRule"]
        self.assertEqual(len(rules), 1)
        want = load(RULES)["groups"]
        for g in want:
            for r in g["rules"]:
                r["annotations"]["runbook_url"] = base + r["annotations"]["runbook_url"]
        self.assertEqual(rules[0]["spec"]["groups"], want)
        # auto: none without the prometheus-operator's CRDs (helm template knows no cluster).
        kinds = {o["kind"] for o in render()}
        self.assertFalse(kinds & {"PrometheusRule", "ServiceMonitor", "PodMonitor"}, kinds)


class DashboardTest(unittest.TestCase):
    def test_every_query_parses(self):
        queries = dashboard_queries()
        self.assertGreaterEqual(len(queries), 10)
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard:query_%d" % i, "expr": expr}
            for i, (_, expr) in enumerate(queries)]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            yaml.safe_dump(rules, f)
            f.flush()
            r = promtool("check", "rules", f.name)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_queries_read_only_metrics_the_code_exports(self):
        exported = exported_metrics()
        for title, expr in dashboard_queries():
            for metric in re.findall(r"\b(leakguard_[a-z_]+?)(?:_bucket)?\b", expr):
                with self.subTest(panel=title, metric=metric):
                    self.assertIn(metric, exported)

    def test_panels_use_the_data_source_variable_and_have_unique_ids(self):
        with open(DASHBOARD) as f:
            dash = json.load(f)
        self.assertEqual([v["name"] for v in dash["templating"]["list"]], ["datasource"])
        ids = [p["id"] for p in dash["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for p in dash["panels"]:
            with self.subTest(panel=p["title"]):
                self.assertEqual(p["datasource"]["uid"], "${datasource}")
                self.assertTrue(p.get("description"))
                for t in p["targets"]:
                    self.assertEqual(t["datasource"]["uid"], "${datasource}")

    def test_the_chart_ships_it_for_the_grafana_sidecar(self):
        [cm] = [o for o in render() if o["kind"] == "ConfigMap"
                and o["metadata"]["name"].endswith("-dashboard")]
        self.assertEqual(cm["metadata"]["labels"]["grafana_dashboard"], "1")
        with open(DASHBOARD) as f:
            self.assertEqual(json.loads(cm["data"]["leakguard.json"]), json.load(f))
        self.assertFalse([o for o in render({"metrics.grafanaDashboard.enabled": "false"})
                          if o["kind"] == "ConfigMap"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
