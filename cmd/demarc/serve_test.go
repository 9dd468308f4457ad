package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/sqlite"
)

// syncBuffer is a buffer a running command writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var (
	tokenLine = regexp.MustCompile(`dmc_[a-z2-7]+`)
	addrLine  = regexp.MustCompile(`"addr":"(127\.0\.0\.1:\d+)"`)
)

// waitMatch waits up to 30 s for re to match what read returns.
func waitMatch(t *testing.T, what string, read func() string, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := re.FindStringSubmatch(read()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 30s; output:\n%s", what, read())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveInProcess runs 'demarc serve' in the test process until the
// returned stop is called; it returns the base URL, the token printed on
// an empty store ("" otherwise) and stop, which returns the exit code.
func serveInProcess(t *testing.T, args ...string) (base, token string, stop func() int) {
	t.Helper()
	var out, errb syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...), strings.NewReader(""), &out, &errb)
	}()
	addr := waitMatch(t, "listening address", errb.String, addrLine)[1]
	if m := tokenLine.FindString(out.String()); m != "" {
		token = m
	}
	return "http://" + addr, token, func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s")
			return -1
		}
	}
}

func httpGet(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	r, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, body
}

// serve on an empty store makes the first organisation and prints its
// owner's token once; on the next start there is no new token; a
// cancelled context shuts it down cleanly.
func TestServeBootstrapsOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demarc.db")
	base, token, stop := serveInProcess(t, "--db", db, "--org", "acme", "--owner-email", "ops@acme.example")
	if token == "" {
		t.Fatal("no owner token printed on an empty store")
	}
	if code, body := httpGet(t, base+"/api/v1/orgs/acme/members", token); code != 200 || !strings.Contains(string(body), "ops@acme.example") {
		t.Fatalf("members with the bootstrap token: %d %s", code, body)
	}
	if code, _ := httpGet(t, base+"/api/v1/orgs/acme/members", ""); code != 401 {
		t.Fatalf("without a token: %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	base, again, stop := serveInProcess(t, "--db", db)
	if again != "" {
		t.Fatal("a second owner token was printed for a store that is not empty")
	}
	if code, _ := httpGet(t, base+"/api/v1/orgs/acme", token); code != 200 {
		t.Fatalf("the first token after a restart: %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
}

// serve refuses what would be unsafe or cannot work.
func TestServeRefusesBadSetups(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"serve", "--local", "--addr", "0.0.0.0:8080", "--db", filepath.Join(dir, "a.db")}, exitUsage, "127.0.0.1 only"},
		{[]string{"serve", "--local", "--addr", ":8080", "--db", filepath.Join(dir, "a.db")}, exitUsage, "127.0.0.1 only"},
		{[]string{"serve", "--oidc-client-id", "x"}, exitUsage, "needs --oidc-issuer"},
		{[]string{"serve", "--oidc-issuer", "https://idp.example"}, exitUsage, "--oidc-client-id"},
		{[]string{"serve", "--local", "--oidc-issuer", "https://idp.example", "--oidc-client-id", "x", "--public-url", "https://d.example"}, exitUsage, "--local has no sign-in"},
		{[]string{"serve", "--log-format", "xml"}, exitUsage, "text or json"},
		{[]string{"serve", "--schema", "x", "--db", filepath.Join(dir, "b.db")}, exitUsage, "--schema is for PostgreSQL"},
		{[]string{"serve", "extra"}, exitUsage, "no arguments"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := run(context.Background(), c.args, strings.NewReader(""), &out, &errb)
		if code != c.code || !strings.Contains(errb.String(), c.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d saying %q", c.args, code, errb.String(), c.code, c.says)
		}
	}
	t.Setenv("DEMARC_SESSION_KEY", "abcd")
	var errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--db", filepath.Join(dir, "c.db")}, strings.NewReader(""), io.Discard, &errb); code != exitUsage || !strings.Contains(errb.String(), "64 hex digits") {
		t.Errorf("a short session key: exit %d, %s", code, errb.String())
	}
}

// --local serves without credentials.
func TestServeLocal(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demarc.db")
	base, _, stop := serveInProcess(t, "--db", db, "--local")
	defer stop()
	code, body := httpGet(t, base+"/api/v1/me", "")
	if code != 200 || !strings.Contains(string(body), `"via":"local"`) || !strings.Contains(string(body), `"slug":"default"`) {
		t.Fatalf("me: %d %s", code, body)
	}
}

// The child half of TestCrashSafety: runs 'demarc serve' with the
// arguments in DEMARC_SERVE_CHILD until it is killed.
func TestServeChild(t *testing.T) {
	args := os.Getenv("DEMARC_SERVE_CHILD")
	if args == "" {
		t.Skip("runs only as the child of TestCrashSafety")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\x1f"), strings.NewReader(""), os.Stdout, os.Stderr))
}

// child is a 'demarc serve' process.
type child struct {
	cmd        *exec.Cmd
	out, errb  *syncBuffer
	base, addr string
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	c := &child{out: &syncBuffer{}, errb: &syncBuffer{}}
	c.cmd = exec.Command(os.Args[0], "-test.run", "^TestServeChild$")
	c.cmd.Env = append(os.Environ(), "DEMARC_SERVE_CHILD="+strings.Join(append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--rate", "0"}, args...), "\x1f"))
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.errb
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		c.cmd.Wait()
	})
	c.addr = waitMatch(t, "listening address", c.errb.String, addrLine)[1]
	c.base = "http://" + c.addr
	return c
}

// TestCrashSafety runs 'demarc serve' as a process, writes to it from
// many clients at once, kills it with SIGKILL in the middle, starts it
// again on the same database, and checks that every write it
// acknowledged is there and every audit chain verifies.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	stores := []struct {
		name string
		args []string
	}{{"sqlite", []string{"--db", filepath.Join(t.TempDir(), "demarc.db")}}}
	if dsn := os.Getenv("DEMARC_TEST_POSTGRES"); dsn != "" {
		schema := "demarc_crash_" + strings.ToLower(demarc.NewID("t")[12:20])
		stores = append(stores, struct {
			name string
			args []string
		}{"postgres", []string{"--postgres", dsn, "--schema", schema}})
		t.Cleanup(func() { dropSchema(t, dsn, schema) })
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) { crashAndRecover(t, st.args) })
	}
}

func crashAndRecover(t *testing.T, storeArgs []string) {
	c := startChild(t, storeArgs...)
	token := waitMatch(t, "owner token", c.out.String, tokenLine)[0]
	const writers = 8
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	stopWriting := make(chan struct{})
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopWriting:
					return
				default:
				}
				name := fmt.Sprintf("register-%d-%d", w, i)
				body := fmt.Sprintf(`{"name":%q,"content":"attestations: []\n"}`, name)
				r, err := http.NewRequest("POST", c.base+"/api/v1/orgs/default/attestations", strings.NewReader(body))
				if err != nil {
					return
				}
				r.Header.Set("Authorization", "Bearer "+token)
				r.Header.Set("Content-Type", "application/json")
				res, err := client.Do(r)
				if err != nil {
					return // the server is gone
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode == 201 {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
				} else if res.StatusCode != 503 {
					t.Errorf("write %s: %d", name, res.StatusCode)
					return
				}
			}
		}(w)
	}
	// Kill once enough writes are acknowledged, in the middle of more.
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 150 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c.cmd.Wait()
	close(stopWriting)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(acked) < 10 {
		t.Fatalf("only %d writes were acknowledged before the kill", len(acked))
	}

	again := startChild(t, storeArgs...)
	stored := map[string]bool{}
	next := ""
	for {
		u := again.base + "/api/v1/orgs/default/attestations?limit=500"
		if next != "" {
			u += "&cursor=" + next
		}
		code, body := httpGet(t, u, token)
		if code != 200 {
			t.Fatalf("list after restart: %d %s", code, body)
		}
		var page struct {
			Items []demarc.Document `json:"items"`
			Next  string            `json:"next"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Items {
			stored[d.Name] = true
		}
		if next = page.Next; next == "" {
			break
		}
	}
	for _, name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged write %s is missing after the crash", name)
		}
	}
	code, body := httpGet(t, again.base+"/api/v1/orgs/default/audit/verify", token)
	if code != 200 || !strings.Contains(string(body), `"ok":true`) {
		t.Fatalf("audit after the crash: %d %s", code, body)
	}
	t.Logf("%d writes acknowledged before SIGKILL, %d stored (writes in flight may land or not)", len(acked), len(stored))
	again.cmd.Process.Signal(syscall.SIGTERM)
	if err := again.cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, again.errb.String())
	}
	if !strings.Contains(again.errb.String(), "shutting down") {
		t.Error("SIGTERM did not shut down gracefully")
	}
}

// sqliteExec runs SQL on a database file behind demarc's back.
func sqliteExec(t *testing.T, path, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
