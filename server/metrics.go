package server

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// metrics collects what /metrics exposes in Prometheus's text format.
type metrics struct {
	start    time.Time
	inFlight atomic.Int64

	mu        sync.Mutex
	requests  map[requestKey]uint64
	durations map[string]*histogram

	cacheHits, cacheMisses atomic.Uint64
	rateLimited            atomic.Uint64
	authFailures           atomic.Uint64
	changes, lost          atomic.Uint64
}

type requestKey struct {
	route  string
	status int
}

// buckets are the upper bounds, in seconds, of the latency histogram.
var buckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{start: time.Now(), requests: map[requestKey]uint64{}, durations: map[string]*histogram{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	sec := d.Seconds()
	i := sort.SearchFloat64s(buckets, sec)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{route, status}]++
	h := m.durations[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets)+1)}
		m.durations[route] = h
	}
	h.counts[i]++
	h.sum += sec
	h.n++
}

func (m *metrics) write(w io.Writer) {
	var b strings.Builder
	m.mu.Lock()
	keys := make([]requestKey, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].route != keys[j].route {
			return keys[i].route < keys[j].route
		}
		return keys[i].status < keys[j].status
	})
	header(&b, "demarc_http_requests_total", "counter", "HTTP requests answered, by route and status.")
	for _, k := range keys {
		fmt.Fprintf(&b, "demarc_http_requests_total{route=%s,status=\"%d\"} %d\n", label(k.route), k.status, m.requests[k])
	}
	routes := make([]string, 0, len(m.durations))
	for r := range m.durations {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	header(&b, "demarc_http_request_duration_seconds", "histogram", "Time to answer HTTP requests, by route.")
	for _, r := range routes {
		h := m.durations[r]
		var cum uint64
		for i, le := range buckets {
			cum += h.counts[i]
			fmt.Fprintf(&b, "demarc_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label(r), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(&b, "demarc_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", label(r), h.n)
		fmt.Fprintf(&b, "demarc_http_request_duration_seconds_sum{route=%s} %s\n", label(r), strconv.FormatFloat(h.sum, 'g', -1, 64))
		fmt.Fprintf(&b, "demarc_http_request_duration_seconds_count{route=%s} %d\n", label(r), h.n)
	}
	m.mu.Unlock()
	gauge(&b, "demarc_http_requests_in_flight", "gauge", "Requests being answered now.", float64(m.inFlight.Load()))
	gauge(&b, "demarc_cache_hits_total", "counter", "Answers served from the analysis cache.", float64(m.cacheHits.Load()))
	gauge(&b, "demarc_cache_misses_total", "counter", "Answers computed because the analysis cache did not have them.", float64(m.cacheMisses.Load()))
	gauge(&b, "demarc_rate_limited_total", "counter", "Requests refused by a rate limit.", float64(m.rateLimited.Load()))
	gauge(&b, "demarc_auth_failures_total", "counter", "Requests with credentials that were not accepted.", float64(m.authFailures.Load()))
	gauge(&b, "demarc_store_changes_total", "counter", "Change notifications received from the store, from any replica.", float64(m.changes.Load()))
	gauge(&b, "demarc_store_changes_lost_total", "counter", "Times change notifications may have been missed and every cache was dropped.", float64(m.lost.Load()))
	gauge(&b, "demarc_uptime_seconds", "gauge", "Seconds since the server started.", time.Since(m.start).Seconds())
	gauge(&b, "go_goroutines", "gauge", "Goroutines that currently exist.", float64(runtime.NumGoroutine()))
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	gauge(&b, "go_memstats_heap_alloc_bytes", "gauge", "Bytes of allocated heap objects.", float64(ms.HeapAlloc))
	io.WriteString(w, b.String()) // a failed write means the scraper has gone
}

func header(b *strings.Builder, name, typ, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func gauge(b *strings.Builder, name, typ, help string, v float64) {
	header(b, name, typ, help)
	fmt.Fprintf(b, "%s %s\n", name, strconv.FormatFloat(v, 'g', -1, 64))
}

// label quotes a label value as the exposition format escapes it.
func label(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(v) + `"`
}
