// faultproxy stands between a client (the LeakGuard controller under test) and the
// kube-apiserver, and answers chosen requests with faults: an HTTP status (429, 500, 503...), a
// dropped connection, a stall that lasts until the test releases it or the client goes away, or
// a lost answer (the request goes on to the API server, which acts on it, and the client's
// connection is closed instead of the answer).
// Everything else is passed through, watches streamed as they come. TLS on both sides: a
// certificate of its own, made at start (its CA written to -ca-out), towards the client; the
// given client certificate towards the API server.
//
// Rules and observations go through a plain HTTP admin port on loopback:
//
//	PUT  /rules    [{"method":"POST","path":"/eviction$","body":"","fault":"status",
//	                 "status":503,"probability":0.3,"times":0}]   (replaces all rules)
//	GET  /stalled  the requests held now ([{"id":1,"method":"PUT","path":...}])
//	POST /release  held requests go on to the API server
//	POST /drop     held requests are answered by closing their connections
//	GET  /log      every request seen: method, path, fault, status (JSON lines)
//
// A rule matches a request by method ("" any), path (a regular expression, "" any), body (a
// substring of the request body, "" any) and bodyNot (a substring it must not contain); the first rule that matches and whose dice roll
// (probability, 0 = always) comes up applies, at most `times` times (0 = no limit).
// Built by the project (tests/faultproxy/CMakeLists.txt); used by tests/e2e/test_faults.py.
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	mrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"sync"
	"time"
)

type Rule struct {
	Method      string  `json:"method"`
	Path        string  `json:"path"`
	Body        string  `json:"body"`
	BodyNot     string  `json:"bodyNot"`
	Fault       string  `json:"fault"` // status, drop, stall, lose
	Status      int     `json:"status"`
	Probability float64 `json:"probability"`
	Times       int     `json:"times"`

	re   *regexp.Regexp
	used int
}

type held struct {
	ID     int       `json:"id"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Since  string    `json:"since"`
	done   chan bool // true: go on; false: drop
}

type entry struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Fault  string `json:"fault,omitempty"`
	Status int    `json:"status"`
}

type proxy struct {
	mu      sync.Mutex
	rules   []*Rule
	held    map[int]*held
	nextID  int
	log     []entry
	rng     *mrand.Rand
	forward http.Handler
}

func (p *proxy) record(e entry) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e.Time = time.Now().UTC().Format(time.RFC3339Nano)
	p.log = append(p.log, e)
}

// match returns the rule that applies to this request, counting its use, or nil.
func (p *proxy) match(r *http.Request, body []byte) *Rule {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.Method != "" && rule.Method != r.Method {
			continue
		}
		if rule.re != nil && !rule.re.MatchString(r.URL.Path) {
			continue
		}
		if rule.Body != "" && !bytes.Contains(body, []byte(rule.Body)) {
			continue
		}
		if rule.BodyNot != "" && bytes.Contains(body, []byte(rule.BodyNot)) {
			continue
		}
		if rule.Times > 0 && rule.used >= rule.Times {
			continue
		}
		if rule.Probability > 0 && p.rng.Float64() >= rule.Probability {
			continue
		}
		rule.used++
		return rule
	}
	return nil
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	w.code = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func kubeStatus(w http.ResponseWriter, code int) {
	reason := map[int]string{429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
		504: "Timeout", 409: "Conflict"}[code]
	if reason == "" {
		reason = "Unknown"
	}
	w.Header().Set("Content-Type", "application/json")
	if code == 429 {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": code, "reason": reason,
		"message": fmt.Sprintf("injected by faultproxy: HTTP %d", code)})
}

func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler) // HTTP/2: abort the stream
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil && r.Method != http.MethodGet {
		body, _ = io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	e := entry{Method: r.Method, Path: r.URL.Path}
	if rule := p.match(r, body); rule != nil {
		e.Fault = rule.Fault
		switch rule.Fault {
		case "status":
			e.Status = rule.Status
			p.record(e)
			kubeStatus(w, rule.Status)
			return
		case "drop":
			p.record(e)
			dropConnection(w)
			return
		case "lose": // it reaches the API server, which acts on it; its answer never comes back
			rec := httptest.NewRecorder()
			p.forward.ServeHTTP(rec, r)
			e.Status = rec.Code
			p.record(e)
			dropConnection(w)
			return
		case "stall":
			h := &held{Method: r.Method, Path: r.URL.Path, Since: time.Now().UTC().Format(time.RFC3339Nano),
				done: make(chan bool, 1)}
			p.mu.Lock()
			p.nextID++
			h.ID = p.nextID
			p.held[h.ID] = h
			p.mu.Unlock()
			var goOn bool
			select {
			case goOn = <-h.done:
			case <-r.Context().Done(): // the client went away: nothing reaches the API server
			}
			p.mu.Lock()
			delete(p.held, h.ID)
			p.mu.Unlock()
			if !goOn {
				e.Fault = "stall-dropped"
				p.record(e)
				if r.Context().Err() == nil {
					dropConnection(w)
				}
				return
			}
			e.Fault = "stall-released"
		}
	}
	sw := &statusWriter{ResponseWriter: w, code: 200}
	p.forward.ServeHTTP(sw, r)
	e.Status = sw.code
	p.record(e)
}

func (p *proxy) admin() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/rules", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "PUT a JSON list of rules", http.StatusMethodNotAllowed)
			return
		}
		var rules []*Rule
		if err := json.NewDecoder(r.Body).Decode(&rules); err != nil {
			http.Error(w, "rules: "+err.Error(), http.StatusBadRequest)
			return
		}
		for i, rule := range rules {
			switch rule.Fault {
			case "status":
				if rule.Status < 100 || rule.Status > 599 {
					http.Error(w, fmt.Sprintf("rule %d: status must be an HTTP code", i), http.StatusBadRequest)
					return
				}
			case "drop", "stall", "lose":
			default:
				http.Error(w, fmt.Sprintf("rule %d: fault must be status, drop, stall or lose, got %q", i, rule.Fault),
					http.StatusBadRequest)
				return
			}
			if rule.Path != "" {
				re, err := regexp.Compile(rule.Path)
				if err != nil {
					http.Error(w, fmt.Sprintf("rule %d: path: %v", i, err), http.StatusBadRequest)
					return
				}
				rule.re = re
			}
		}
		p.mu.Lock()
		p.rules = rules
		p.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/stalled", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		out := []*held{}
		for _, h := range p.held {
			out = append(out, h)
		}
		p.mu.Unlock()
		_ = json.NewEncoder(w).Encode(out)
	})
	settle := func(goOn bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			p.mu.Lock()
			for _, h := range p.held {
				select {
				case h.done <- goOn:
				default:
				}
			}
			p.mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
		}
	}
	mux.HandleFunc("/release", settle(true))
	mux.HandleFunc("/drop", settle(false))
	mux.HandleFunc("/log", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		entries := append([]entry(nil), p.log...)
		p.mu.Unlock()
		enc := json.NewEncoder(w)
		for _, e := range entries {
			_ = enc.Encode(e)
		}
	})
	return mux
}

// selfSigned makes a certificate for 127.0.0.1 and writes it, PEM, to caOut (it is its own CA).
func selfSigned(caOut string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "leakguard-faultproxy"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	if err := os.WriteFile(caOut, certPEM, 0o600); err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "where clients connect (TLS)")
	adminAddr := flag.String("admin", "127.0.0.1:0", "the admin port (plain HTTP, loopback)")
	upstream := flag.String("upstream", "", "the API server, https://host:port")
	upstreamCA := flag.String("upstream-ca", "", "CA file of the API server")
	clientCert := flag.String("client-cert", "", "client certificate towards the API server")
	clientKey := flag.String("client-key", "", "its key")
	caOut := flag.String("ca-out", "", "where to write this proxy's certificate (its clients' CA)")
	ready := flag.String("ready-file", "", "written, once listening: {\"listen\":...,\"admin\":...}")
	seed := flag.Int64("seed", 1, "seed of the dice rolled for rules with a probability")
	flag.Parse()
	if *upstream == "" || *upstreamCA == "" || *clientCert == "" || *clientKey == "" || *caOut == "" {
		log.Fatal("faultproxy: -upstream, -upstream-ca, -client-cert, -client-key and -ca-out are required")
	}
	target, err := url.Parse(*upstream)
	if err != nil {
		log.Fatalf("faultproxy: -upstream: %v", err)
	}
	caPEM, err := os.ReadFile(*upstreamCA)
	if err != nil {
		log.Fatalf("faultproxy: -upstream-ca: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		log.Fatalf("faultproxy: -upstream-ca %s holds no certificate", *upstreamCA)
	}
	cert, err := tls.LoadX509KeyPair(*clientCert, *clientKey)
	if err != nil {
		log.Fatalf("faultproxy: client certificate: %v", err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1 // watches: every event at once
	rp.Transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ForceAttemptHTTP2:   false,
		MaxIdleConnsPerHost: 32,
	}
	rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() != nil {
			return
		}
		log.Printf("faultproxy: upstream %s %s: %v", r.Method, r.URL.Path, err)
		w.WriteHeader(http.StatusBadGateway)
	}
	p := &proxy{held: map[int]*held{}, rng: mrand.New(mrand.NewSource(*seed)), forward: rp}

	own, err := selfSigned(*caOut)
	if err != nil {
		log.Fatalf("faultproxy: certificate: %v", err)
	}
	ln, err := tls.Listen("tcp", *listen, &tls.Config{Certificates: []tls.Certificate{own},
		NextProtos: []string{"http/1.1"}})
	if err != nil {
		log.Fatalf("faultproxy: listen: %v", err)
	}
	aln, err := net.Listen("tcp", *adminAddr)
	if err != nil {
		log.Fatalf("faultproxy: admin: %v", err)
	}
	if *ready != "" {
		b, _ := json.Marshal(map[string]string{"listen": ln.Addr().String(), "admin": aln.Addr().String()})
		if err := os.WriteFile(*ready+".tmp", b, 0o600); err != nil {
			log.Fatalf("faultproxy: -ready-file: %v", err)
		}
		if err := os.Rename(*ready+".tmp", *ready); err != nil {
			log.Fatalf("faultproxy: -ready-file: %v", err)
		}
	}
	log.Printf("faultproxy: %s -> %s, admin http://%s", ln.Addr(), *upstream, aln.Addr())
	go func() { log.Fatal(http.Serve(aln, p.admin())) }()
	srv := &http.Server{Handler: p, BaseContext: func(net.Listener) context.Context { return context.Background() }}
	log.Fatal(srv.Serve(ln))
}
