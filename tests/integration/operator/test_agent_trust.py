#!/usr/bin/env python3
"""What the controller believes of a node agent, against the real cluster: an agent speaks only
for the pods that the API server places on the agent's node.

A real `leakguard agent`, run as a host process on lg-node, serves real samples of a pod that
runs on lg-node. The controller finds its agents by their pods, and the agent pod the API
server shows it here is bound to another node ("lg-elsewhere": a pod object on a node that has
no kubelet, its status set to Running at the agent's address by the test). That is what a
compromised node's agent amounts to: samples for pods it does not host. The controller must
take none of them, count them in leakguard_agent_samples_refused_total{reason="other_node"} and
say so in its log. (The cluster has one node, hence the agent pod on a node without a kubelet.
That an agent is believed for its own node's pods is shown by the Helm scenarios: their fd leak
is seen only through the agents.)"""
import json
import os
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lgtest import (ENV, REPO, Operator, apply, fresh_namespace, kjson, kubeconfig,  # noqa: E402
                    kubectl, leaky_deployment, leakguard_binary, stop_process,
                    wait_for)

NODE_IP = "198.18.255.1"  # lg-node's address (e2e/cluster/README.md)
AGENT_PORT = 19451
HEALTH_PORT = 18231


class AgentNodeBinding(unittest.TestCase):
    NS = "lg-it-agent-bind"

    @classmethod
    def setUpClass(cls):
        subprocess.run([os.path.join(REPO, "e2e/workloads/build-images")], check=True,
                       capture_output=True)
        fresh_namespace(cls.NS)
        kubectl("create", "serviceaccount", "controller", "-n", cls.NS)
        cls.tmp = tempfile.mkdtemp(prefix="lg-agent-bind-")
        cls.token_file = os.path.join(cls.tmp, "token")
        token = kubectl("create", "token", "controller", "-n", cls.NS, "--audience",
                        "leakguard-agent", "--duration", "1h").stdout.strip()
        with open(cls.token_file, "w") as f:
            f.write(token)
        apply(leaky_deployment(cls.NS, "web", LEAK_PATTERN="steady"))
        wait_for("the workload pod running",
                 lambda: any(p["status"].get("phase") == "Running"
                             for p in kjson("get", "pods", "-n", cls.NS, "-l", "app=web")["items"]),
                 timeout=120)
        cls.agent_log = open(os.path.join(cls.tmp, "agent.log"), "w")
        cls.agent = subprocess.Popen(
            [leakguard_binary(), "agent", "--kubeconfig", kubeconfig(), "--node-name", "lg-node",
             "--listen", "%s:%d" % (NODE_IP, AGENT_PORT), "--interval", "2s",
             "--allowed-user", "system:serviceaccount:%s:controller" % cls.NS,
             "--namespaces", cls.NS],
            stdin=subprocess.DEVNULL, stdout=cls.agent_log, stderr=subprocess.STDOUT, env=ENV)
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE

        def healthy():
            try:
                with urllib.request.urlopen("https://%s:%d/healthz" % (NODE_IP, AGENT_PORT),
                                            timeout=3, context=insecure) as r:
                    return r.status == 200
            except OSError:
                return False
        wait_for("the agent serving", healthy, timeout=60)
        cls.op = None

    @classmethod
    def tearDownClass(cls):
        if cls.op:
            cls.op.stop()
        stop_process(cls.agent)
        kubectl("delete", "namespace", cls.NS, "--wait=false")

    def test_an_agent_is_not_believed_about_pods_of_another_node(self):
        ns = self.NS
        # The agent pod as the API server shows it: on another node, running and Ready at the
        # agent's address. Nothing will run it (no kubelet for that node); the pod garbage collector
        # deletes it some 40 s after it sees the node missing, which this test does not wait for.
        apply({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "agent-elsewhere", "namespace": ns,
                            "labels": {"app.kubernetes.io/name": "leakguard-agent"}},
               "spec": {"nodeName": "lg-elsewhere",
                        "containers": [{"name": "agent", "image": "localhost/lg-test:1",
                                        "imagePullPolicy": "Never"}]}})
        kubectl("patch", "pod", "agent-elsewhere", "-n", ns, "--subresource=status",
                "--type=merge", "-p", json.dumps({"status": {
                    "phase": "Running", "podIP": NODE_IP, "podIPs": [{"ip": NODE_IP}],
                    "conditions": [{"type": "Ready", "status": "True"}]}}))
        self.__class__.op = op = Operator(
            HEALTH_PORT, "--no-leader-elect", "--no-node-access", "--agent-namespace", ns,
            "--agent-port", str(AGENT_PORT), "--agent-token-file", self.token_file,
            namespaces=[ns])

        def refused():
            try:
                return op.metric("leakguard_agent_samples_refused_total",
                                 'reason="other_node"') or 0
            except OSError:
                return 0
        wait_for("samples refused as from another node", lambda: refused() > 0, timeout=90)
        # All of them: the pod is one the controller knows, on lg-node, not the agent's node.
        self.assertFalse(op.metric("leakguard_agent_samples_refused_total",
                                   'reason="unknown_pod"'))
        self.assertFalse(op.metric("leakguard_agent_samples_refused_total", 'reason="future"'))
        lines = [l for l in op.logs() if l.get("msg") == "node agent sample not believed"]
        self.assertTrue(lines, "no log line for the refused samples")
        self.assertEqual(lines[0].get("reason"), "other_node")
        self.assertEqual(lines[0].get("node"), "lg-elsewhere")
        self.assertTrue(lines[0].get("pod", "").startswith(ns + "/web-"), lines[0])
        # The agent did serve them: the controller polled it without an error.
        self.assertFalse([l for l in op.logs() if l.get("msg") == "node agent poll failed"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
