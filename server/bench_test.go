package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
)

// loadClients is how many connections the load generator keeps busy.
const loadClients = 16

// load runs b.N requests from loadClients goroutines over loopback and
// reports throughput, median and 99th-percentile latency and errors.
func load(b *testing.B, do func(c *http.Client, worker, i int) error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients, DisableCompression: true}}
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([][]time.Duration, loadClients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < loadClients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := do(client, w, i); err != nil {
					if errs.Add(1) == 1 {
						b.Error(err)
					}
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		return float64(all[int(p*float64(len(all)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(errs.Load()), "errors")
}

// benchBackends are SQLite, and PostgreSQL when DEMARC_TEST_POSTGRES is
// set.
func benchBackends() []backend {
	bs := []backend{{"sqlite", openSQLite}}
	if os.Getenv("DEMARC_TEST_POSTGRES") != "" {
		bs = append(bs, backend{"postgres", openPostgres})
	}
	return bs
}

// BenchmarkMatrixRead measures cached matrix reads of the web shop
// example through the whole server (token authentication, tenant and
// role checks, the answer cache) over loopback: the full NIST SP 800-53
// matrix (3 MB of JSON, sent gzip-encoded), the ISO 27001 one, and a
// client revalidating its copy with If-None-Match.
func BenchmarkMatrixRead(b *testing.B) {
	for _, be := range benchBackends() {
		e := newEnv(b, be, nil)
		a := e.tenant("acme")
		sys := e.webshop(a)
		tok := a.tokens[demarc.RoleViewer]
		base := e.http.URL + "/api/v1/orgs/acme/systems/" + string(sys.ID) + "/matrix"
		for _, c := range []struct {
			name, query string
			revalidate  bool
		}{
			{"nist-800-53-gzip", "", false},
			{"iso-27001-gzip", "?framework=iso-27001-2022", false},
			{"nist-800-53-if-none-match", "", true},
		} {
			first := e.must(200, req{method: "GET", path: strings.TrimPrefix(base, e.http.URL) + c.query, token: tok, headers: map[string]string{"Accept-Encoding": "gzip"}})
			etag := first.header.Get("ETag")
			b.Run(be.name+"/"+c.name, func(b *testing.B) {
				var bytes atomic.Int64
				load(b, func(client *http.Client, _, _ int) error {
					r, _ := http.NewRequest("GET", base+c.query, nil)
					r.Header.Set("Authorization", "Bearer "+tok)
					r.Header.Set("Accept-Encoding", "gzip")
					want := 200
					if c.revalidate {
						r.Header.Set("If-None-Match", etag)
						want = 304
					}
					res, err := client.Do(r)
					if err != nil {
						return err
					}
					n, err := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					bytes.Add(n)
					if err != nil || res.StatusCode != want {
						return fmt.Errorf("status %d, %v", res.StatusCode, err)
					}
					return nil
				})
				b.ReportMetric(float64(bytes.Load())/float64(b.N)/1024, "KB/req")
			})
		}
	}
}

// BenchmarkSystemWrite measures system updates: each client edits its own
// system with If-Match, so every write is a new version with its audit
// event, durably committed.
func BenchmarkSystemWrite(b *testing.B) {
	for _, be := range benchBackends() {
		b.Run(be.name, func(b *testing.B) {
			e := newEnv(b, be, nil)
			a := e.tenant("acme")
			content := "name: shop\ncomponents:\n  - name: api\n    service: aws/lambda\n  - name: db\n    service: aws/dynamodb\n"
			ids := make([]string, loadClients)
			versions := make([]int, loadClients)
			for w := range ids {
				ids[w] = string(e.createDoc(a, "systems", fmt.Sprintf("shop-%d", w), content).ID)
				versions[w] = 1
			}
			tok := a.tokens[demarc.RoleEditor]
			load(b, func(client *http.Client, w, i int) error {
				body := fmt.Sprintf(`{"content":%q}`, content+fmt.Sprintf("# change %d\n", i))
				r, _ := http.NewRequest("PUT", e.http.URL+"/api/v1/orgs/acme/systems/"+ids[w], strings.NewReader(body))
				r.Header.Set("Authorization", "Bearer "+tok)
				r.Header.Set("Content-Type", "application/json")
				r.Header.Set("If-Match", versionTag(versions[w]))
				res, err := client.Do(r)
				if err != nil {
					return err
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					return fmt.Errorf("status %d", res.StatusCode)
				}
				versions[w]++
				return nil
			})
		})
	}
}
