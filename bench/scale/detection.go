package main

// The simulated agents' detection routes (bench/scale/README.md, "Usage at scale", with
// --detection): what a real agent started with --detection answers (controllers/reconcile/
// detection_wire.h). POST /v1/detection takes the controller's assignment and answers a report:
// every assigned pod's last sample (the newest complete tick) and a finding for every assigned
// leaking container's memory. GET /v1/series answers a series' view and, with history=1, its
// samples; GET /v1/sizing a series' settled values with their counts (steady from the start of
// the history; a leak is still rising). Like the samples, computed: nothing is judged here; what
// is measured is the controller's side (assignments, reports, findings, incidents, sizing).

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"
)

type assignedContainer struct {
	Name   string `json:"name"`
	Memory *int   `json:"memory"`
}

type detectionRequest struct {
	Generation uint64 `json:"generation"`
	Pods       *[]struct {
		UID        string              `json:"uid"`
		Containers []assignedContainer `json:"containers"`
	} `json:"pods"`
}

// simDetection: one node's assignment.
type simDetection struct {
	mu         sync.Mutex
	generation uint64
	memory     map[string]map[string]bool // pod uid -> container -> memory assigned
}

func (a *simAgents) lastTick() (uint64, time.Time) {
	ticks := uint64(time.Since(a.start) / a.interval)
	if ticks == 0 {
		return 0, a.start
	}
	return ticks - 1, a.start.Add(time.Duration(ticks-1) * a.interval)
}

func (a *simAgents) serveDetection(n *simNode, w http.ResponseWriter, r *http.Request) {
	var req detectionRequest
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	d := &n.detection
	d.mu.Lock()
	if req.Pods != nil {
		d.generation = req.Generation
		d.memory = map[string]map[string]bool{}
		for _, p := range *req.Pods {
			cs := map[string]bool{}
			for _, c := range p.Containers {
				cs[c.Name] = c.Memory != nil
			}
			d.memory[p.UID] = cs
		}
		a.assigned.Add(1)
	}
	k, t := a.lastTick()
	now := float64(t.UnixMilli()) / 1000
	pods := []map[string]any{}
	findings := []map[string]any{}
	seen := map[string]bool{}
	for i := range n.containers {
		c := &n.containers[i]
		cs, ok := d.memory[c.podUID]
		if !ok {
			continue
		}
		if !seen[c.podUID] {
			seen[c.podUID] = true
			pods = append(pods, map[string]any{"uid": c.podUID, "lastSample": now})
		}
		if c.shape == 2 && cs[c.name] {
			findings = append(findings, map[string]any{"podUid": c.podUID, "container": c.name,
				"resource": "memory", "view": a.view(c, k, now, true)})
		}
	}
	gen := d.generation
	d.mu.Unlock()
	a.reports.Add(1)
	writeJSON(w, map[string]any{"node": n.name, "epoch": "sim", "generation": gen,
		"time": float64(time.Now().UnixMilli()) / 1000, "pods": pods, "findings": findings})
}

// view: a container's memory series as the agent's hub would show it at tick k.
func (a *simAgents) view(c *simContainer, k uint64, now float64, leaking bool) map[string]any {
	at := time.Duration(k) * a.interval
	value := float64(c.memoryAt(at, a.leakSpan))
	v := map[string]any{"namespace": c.ns, "pod": c.pod, "container": c.name,
		"containerId": c.id, "resource": "memory", "source": "agent", "lastSampleTime": now,
		"lastValue": value, "limit": float64(c.limit), "line": 0, "lineName": "",
		"restartTimes": []float64{}, "finding": nil}
	if leaking {
		slope := (1 - c.base) * float64(c.limit) / a.leakSpan.Seconds()
		left := (float64(c.limit) - value) / slope
		v["finding"] = map[string]any{"time": now, "value": value, "limit": float64(c.limit),
			"slopePerSecond": slope, "slopeLowPerSecond": slope * 0.9, "slopeHighPerSecond": slope * 1.1,
			"exhaustionSeconds": left, "exhaustionLowSeconds": left * 0.9, "exhaustionHighSeconds": left * 1.1,
			"confidence": 0.999, "margin": 40, "windowSeconds": 3600, "growthSeconds": at.Seconds(),
			"growth": "linear", "benign": "flat", "level": 4, "pointsUsed": 30, "groupBlocks": 1,
			"lives": 0, "lifeSeconds": 0}
	}
	return v
}

func (a *simAgents) serveSeries(n *simNode, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := n.container(q.Get("pod"), q.Get("container"))
	k, t := a.lastTick()
	out := map[string]any{"view": nil, "history": [][2]float64{}}
	if c != nil && q.Get("resource") == "memory" {
		out["view"] = a.view(c, k, float64(t.UnixMilli())/1000, c.shape == 2)
		if q.Get("history") == "1" {
			history := make([][2]float64, 0, k+1)
			for i := uint64(0); i <= k; i++ {
				at := time.Duration(i) * a.interval
				history = append(history, [2]float64{float64(a.start.Add(at).UnixMilli()) / 1000,
					float64(c.memoryAt(at, a.leakSpan))})
			}
			out["history"] = history
		}
	}
	writeJSON(w, out)
}

func (a *simAgents) serveSizing(n *simNode, w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c := n.container(q.Get("pod"), q.Get("container"))
	if c == nil || q.Get("resource") != "memory" {
		writeJSON(w, map[string]any{"series": nil})
		return
	}
	minHistory, _ := strconv.ParseFloat(q.Get("minHistory"), 64)
	k, _ := a.lastTick()
	span := (time.Duration(k) * a.interval).Seconds()
	series := map[string]any{"shape": "steady", "spanSeconds": span,
		"settledFrom": float64(a.start.UnixMilli()) / 1000, "settled": [][2]float64{}}
	switch {
	case span < minHistory:
		series["shape"] = "too-short"
	case c.shape == 2:
		series["shape"] = "still-rising"
	default:
		counts := map[int64]int{}
		for i := uint64(0); i <= k; i++ {
			counts[c.memoryAt(time.Duration(i)*a.interval, a.leakSpan)&^65535]++
		}
		values := make([]int64, 0, len(counts))
		for v := range counts {
			values = append(values, v)
		}
		sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
		settled := make([][2]float64, 0, len(values))
		for _, v := range values {
			settled = append(settled, [2]float64{float64(v), float64(counts[v])})
		}
		series["settled"] = settled
	}
	a.sizings.Add(1)
	writeJSON(w, map[string]any{"series": series})
}

// container: the node's container of that pod and name, or nil.
func (n *simNode) container(podUID, name string) *simContainer {
	for i := range n.containers {
		if n.containers[i].podUID == podUID && n.containers[i].name == name {
			return &n.containers[i]
		}
	}
	return nil
}

func writeJSON(w http.ResponseWriter, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}
