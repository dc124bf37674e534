// A Go service that leaks the way Go services do: a map that requests add to and nothing
// deletes from. RUNTIME_MODE=bounded is the benign look-alike: a fixed live set and much garbage
// per request, so usage is a GC sawtooth under load whose troughs stay level.
//
//	LEAK_KIB_PER_S  KiB retained a second (default 64), after LEAK_START_AFTER seconds (300)
//	CACHE_ENTRIES   bounded: the live set in entries of about 1 KiB (default 50000)
//
// GOMEMLIMIT, when set, makes the collector work harder as the heap nears it (a soft limit).
package main

import (
	"os"
	"strconv"
	"time"
)

func env(name string, fallback float64) float64 {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil {
		return v
	}
	return fallback
}

var sink []byte

func main() {
	mode := os.Getenv("RUNTIME_MODE")
	kibPerSecond := env("LEAK_KIB_PER_S", 64)
	startAfter := time.Duration(env("LEAK_START_AFTER", 300) * float64(time.Second))
	live := int(env("CACHE_ENTRIES", 50000))
	sessions := map[int][]byte{}
	ring := make([][]byte, live)
	started := time.Now()
	const tick = 100 * time.Millisecond
	owed, n := 0.0, 0
	for range time.Tick(tick) {
		owed += kibPerSecond * tick.Seconds()
		for ; owed >= 1; owed, n = owed-1, n+1 {
			sink = make([]byte, 8<<10) // the request's garbage
			sink[0] = byte(n)
			if time.Since(started) < startAfter {
				continue
			}
			kept := make([]byte, 1000)
			kept[0] = byte(n)
			if mode == "bounded" {
				ring[n%live] = kept
			} else {
				sessions[n] = kept
			}
		}
	}
}
