package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/sqlite"
)

// TestMain keeps the tests away from the user's own server settings:
// without a server configured, every command must work on local files.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "demarc-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv(envConfig, filepath.Join(dir, "absent", "config.yaml"))
	for _, k := range []string{envServer, envToken, envOrg} {
		os.Unsetenv(k)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testServer is a real demarc server over SQLite in a temporary folder,
// with the organisation "default" and its owner's token.
type testServer struct {
	url, token string
	store      *sqlite.Store
	org        *demarc.Org
	owner      *demarc.Member
}

func startServer(t *testing.T, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demarc.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	boot, err := server.Bootstrap(ctx, st, func(context.Context) ([]demarc.OrgID, error) { return nil, nil }, server.BootstrapOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: st, NoRateLimit: true, WriteConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(srv)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &testServer{url: hs.URL, token: boot.Secret, store: st, org: boot.Org, owner: boot.Owner}
}

// cli runs demarc from the repository root with stdin, and fails the test
// if a token shows anywhere in what it printed.
func cli(t *testing.T, stdin string, secrets []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	t.Chdir(repoRoot)
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	for _, s := range secrets {
		if s != "" && (strings.Contains(out.String(), s) || strings.Contains(errb.String(), s)) {
			t.Fatalf("demarc %s printed a token:\n%s\n%s", strings.Join(args, " "), out.String(), errb.String())
		}
	}
	return out.String(), errb.String(), code
}

// on runs demarc against the server with its token in the environment.
func (s *testServer) on(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	t.Setenv(envToken, s.token)
	return cli(t, "", []string{s.token}, append([]string{"--server", s.url}, args...)...)
}

// mustRun takes a run's results and returns its output, failing the test
// unless it succeeded: mustRun(t, "push")(s.on(t, "systems", "push", …)).
func mustRun(t *testing.T, what string) func(stdout, stderr string, code int) string {
	return func(stdout, stderr string, code int) string {
		t.Helper()
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", what, code, stderr)
		}
		return stdout
	}
}

// webshopV2 is the example web shop with its API moved from Lambda to
// EC2, in a folder of its own with the register it names.
func webshopV2(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(repoRoot, "examples", "serverless-webshop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	v2 := strings.Replace(string(data), "service: aws/lambda", "service: aws/ec2", 1)
	reg, err := os.ReadFile(filepath.Join(repoRoot, "examples", "attestations", "aws-sample.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "attestations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "attestations", "aws-sample.yaml"), reg, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "serverless-webshop.yaml")
	if err := os.WriteFile(path, []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The analysis commands give the same output against a server as on the
// same file locally, byte for byte, in every format.
func TestServerGivesLocalOutput(t *testing.T) {
	s := startServer(t, nil)
	const file = "examples/serverless-webshop.yaml"
	out := mustRun(t, "push")(s.on(t, "systems", "push", file, "--note", "first"))
	if !strings.Contains(out, "created attestation register attestations/aws-sample.yaml") || !strings.Contains(out, "created system serverless-webshop") {
		t.Fatalf("push said:\n%s", out)
	}
	same := func(t *testing.T, local, remote []string, code int) {
		t.Helper()
		lo, le, lc := cli(t, "", nil, local...)
		ro, re, rc := s.on(t, remote...)
		if lc != code || rc != code {
			t.Fatalf("%v: exit %d locally, %d on the server, want %d\n%s\n%s", remote, lc, rc, code, le, re)
		}
		if lo != ro {
			t.Errorf("%v: output differs from the local command's:\n%s", remote, firstDiff(lo, ro))
		}
		if le != re {
			t.Errorf("%v: messages differ from the local command's:\n%s", remote, firstDiff(le, re))
		}
		if lo == "" {
			t.Errorf("%v: no output", remote)
		}
	}
	cases := [][]string{
		{"matrix"},
		{"matrix", "-F", "json"},
		{"matrix", "-F", "csv", "--framework", "iso-27001-2022"},
		{"matrix", "-F", "markdown", "--family", "si"},
		{"matrix", "-F", "yaml", "--owner", "shared"},
		{"gaps", "--as-of", "2026-11-25"},
		{"gaps", "--as-of", "2026-11-16", "-f", "pci-dss-4", "--kind", "unsupported-inheritance", "-F", "json"},
		{"explain", "si-2"},
		{"explain", "os.patching", "-F", "json"},
		{"explain", "si-2", "-F", "markdown"},
		{"risk", "--as-of", "2026-11-25"},
		{"risk", "--as-of", "2026-11-25", "-F", "yaml"},
		{"telemetry", "-F", "csv", "--coverage", "needs-enabling"},
		{"telemetry"},
		{"incident", "--type", "compromised-cloud-credentials"},
		{"incident", "-F", "markdown"},
		{"incident", "-F", "json"},
		{"export", "oscal-ssp", "--as-of", "2026-11-25"},
		{"export", "fedramp-crm", "--baseline", "moderate", "--date", "2026-11-25", "-F", "csv"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c, " "), func(t *testing.T) {
			local := append(append([]string{}, c...), "--system", file)
			remote := append(append([]string{}, c...), "--system", "serverless-webshop")
			same(t, local, remote, 0)
		})
	}
	t.Run("gaps --fail-on high exits 3", func(t *testing.T) {
		same(t, []string{"gaps", "-s", file, "--as-of", "2026-11-25", "--severity", "high", "--fail-on", "high"},
			[]string{"gaps", "-s", "serverless-webshop", "--as-of", "2026-11-25", "--severity", "high", "--fail-on", "high"}, exitGaps)
	})
	t.Run("report", func(t *testing.T) {
		dir := t.TempDir()
		mustRun(t, "local report")(cli(t, "", nil, "report", "-s", file, "--as-of", "2026-11-25", "-o", filepath.Join(dir, "local.html")))
		mustRun(t, "server report")(s.on(t, "report", "-s", "serverless-webshop", "--as-of", "2026-11-25", "-o", filepath.Join(dir, "server.html")))
		sameFiles(t, filepath.Join(dir, "local.html"), filepath.Join(dir, "server.html"))
	})
	t.Run("fedramp-crm with warnings", func(t *testing.T) {
		const chain = "examples/saas-vendor-chain.yaml"
		mustRun(t, "push chain")(s.on(t, "systems", "push", chain))
		dir := t.TempDir()
		crm := []string{"export", "fedramp-crm", "--baseline", "moderate", "--date", "2026-11-25"}
		with := func(more ...string) []string { return append(append([]string{}, crm...), more...) }
		same(t, with("-s", chain, "-F", "csv"), with("-s", "hr-platform-tenant", "-F", "csv"), 0)
		_, le, lc := cli(t, "", nil, with("-s", chain, "-o", filepath.Join(dir, "crm.xlsx"))...)
		_, re, rc := s.on(t, with("-s", "hr-platform-tenant", "-o", filepath.Join(dir, "crm.xlsx"))...)
		if lc != 0 || rc != 0 || le != re || !strings.Contains(re, "warning: 5 control(s)") || !strings.Contains(re, "CRM rows") {
			t.Errorf("xlsx: exit %d and %d, messages differ:\n%s\n%s", lc, rc, le, re)
		}
	})
	t.Run("matrix workbook", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "m.xlsx")
		mustRun(t, "xlsx")(s.on(t, "matrix", "-s", "serverless-webshop", "-F", "xlsx", "-o", out))
		if data, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(data, []byte("PK")) {
			t.Fatalf("not a workbook: %v", err)
		}
	})

	v2 := webshopV2(t)
	out = mustRun(t, "push v2")(s.on(t, "systems", "push", v2, "--note", "API on EC2"))
	if !strings.Contains(out, "pushed system serverless-webshop") || !strings.Contains(out, "version 2") {
		t.Fatalf("push v2 said:\n%s", out)
	}
	for _, format := range []string{"table", "json", "markdown"} {
		t.Run("diff versions "+format, func(t *testing.T) {
			same(t, []string{"diff", file, v2, "-F", format}, []string{"diff", "--system", "serverless-webshop", "--from", "1", "--to", "2", "-F", format}, 0)
		})
	}
	t.Run("diff file against server", func(t *testing.T) {
		same(t, []string{"diff", file, v2}, []string{"diff", "--system", "serverless-webshop", "--from", "1", v2}, 0)
	})
	t.Run("diff what-if on server", func(t *testing.T) {
		same(t, []string{"diff", v2, "--swap", "api=aws/lambda"}, []string{"diff", "--system", "serverless-webshop", "--swap", "api=aws/lambda"}, 0)
	})
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ:\n%s", a, b, firstDiff(string(x), string(y)))
	}
}

// systems push, pull, versions and list keep files byte for byte.
func TestSystemsPushPull(t *testing.T) {
	s := startServer(t, nil)
	const file = "examples/serverless-webshop.yaml"
	mustRun(t, "push")(s.on(t, "systems", "push", file))
	again := mustRun(t, "push again")(s.on(t, "systems", "push", file))
	if !strings.Contains(again, "unchanged at version 1") {
		t.Errorf("a second push of the same file: %s", again)
	}
	mustRun(t, "push v2")(s.on(t, "systems", "push", webshopV2(t), "--note", "API on EC2"))

	out := filepath.Join(t.TempDir(), "pulled.yaml")
	mustRun(t, "pull")(s.on(t, "systems", "pull", "serverless-webshop", "--version", "1", "-o", out))
	sameFiles(t, filepath.Join(repoRoot, file), out)

	versions := mustRun(t, "versions")(s.on(t, "systems", "versions", "serverless-webshop"))
	if !strings.Contains(versions, "API on EC2") || !strings.Contains(versions, "2 versions") {
		t.Errorf("versions:\n%s", versions)
	}
	list := mustRun(t, "list")(s.on(t, "systems", "list", "-F", "csv"))
	if !strings.HasPrefix(list, "name,id,version,updated,size\nserverless-webshop,doc_") {
		t.Errorf("list:\n%s", list)
	}
	regs := mustRun(t, "attestations list")(s.on(t, "attestations", "list"))
	if !strings.Contains(regs, "attestations/aws-sample.yaml") {
		t.Errorf("attestations list:\n%s", regs)
	}
	reg := filepath.Join(t.TempDir(), "reg.yaml")
	mustRun(t, "attestations pull")(s.on(t, "attestations", "pull", "attestations/aws-sample.yaml", "-o", reg))
	sameFiles(t, filepath.Join(repoRoot, "examples", "attestations", "aws-sample.yaml"), reg)

	_, stderr, code := s.on(t, "matrix", "--system", "no-such-system")
	if code != exitInvalid || !strings.Contains(stderr, `no system named "no-such-system"`) {
		t.Errorf("unknown system: exit %d, %s", code, stderr)
	}
	_, stderr, code = s.on(t, "matrix", "--system", file)
	if code != exitInvalid || !strings.Contains(stderr, "is a local file") {
		t.Errorf("a local file's path against a server: exit %d, %s", code, stderr)
	}
}

// A system the server cannot use is refused with its problems named by
// the local file and line.
func TestPushReportsProblemsOfTheFile(t *testing.T) {
	s := startServer(t, nil)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("name: bad\ncomponents:\n  - name: api\n    service: aws/lambda\n  - name: db\n    service: nocloud/db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := s.on(t, "systems", "push", path)
	if code != exitInvalid || !strings.Contains(stderr, path+":5: components[1].service") || !strings.Contains(stderr, "nocloud/db") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	list := mustRun(t, "list")(s.on(t, "systems", "list", "-F", "json"))
	if strings.TrimSpace(list) != "[]" {
		t.Errorf("a refused system was stored: %s", list)
	}
}

// A push based on a version that is no longer current is refused with
// exit 2, and nothing is overwritten: neither with --base, nor when
// someone else writes between reading the version and pushing.
func TestPushRefusesStaleVersion(t *testing.T) {
	var mu sync.Mutex
	var interfere func()
	s := startServer(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			f := interfere
			if r.Method == http.MethodPut {
				interfere = nil
			}
			mu.Unlock()
			if r.Method == http.MethodPut && f != nil {
				f() // another editor's write lands first
			}
			h.ServeHTTP(w, r)
		})
	})
	const file = "examples/serverless-webshop.yaml"
	mustRun(t, "push")(s.on(t, "systems", "push", file))
	v2 := webshopV2(t)
	mustRun(t, "push v2")(s.on(t, "systems", "push", v2))

	_, stderr, code := s.on(t, "systems", "push", file, "--base", "1")
	if code != exitInvalid || !strings.Contains(stderr, "changed on the server") || !strings.Contains(stderr, "version 1") || !strings.Contains(stderr, "now has version 2") {
		t.Errorf("--base 1 after version 2: exit %d\n%s", code, stderr)
	}

	ctx := context.Background()
	docs, _, err := s.store.Documents(ctx, s.org.ID, demarc.DocumentFilter{Kind: demarc.DocSystem})
	if err != nil || len(docs) != 1 {
		t.Fatalf("documents: %v %v", docs, err)
	}
	theirs := []byte(strings.Replace(string(mustRead(t, v2)), "confidential", "restricted", 1))
	mu.Lock()
	interfere = func() {
		_, err := s.store.UpdateDocument(ctx, demarc.Actor{Member: s.owner.ID}, s.org.ID, docs[0].ID, 2, demarc.DocumentInput{Name: "serverless-webshop", Content: theirs, Note: "theirs"})
		if err != nil {
			t.Error(err)
		}
	}
	mu.Unlock()
	_, stderr, code = s.on(t, "systems", "push", file)
	if code != exitInvalid || !strings.Contains(stderr, "changed on the server") || !strings.Contains(stderr, "Nothing was overwritten") {
		t.Errorf("a push racing another: exit %d\n%s", code, stderr)
	}
	got := filepath.Join(t.TempDir(), "now.yaml")
	mustRun(t, "pull")(s.on(t, "systems", "pull", "serverless-webshop", "-o", got))
	if !bytes.Equal(mustRead(t, got), theirs) {
		t.Error("the other editor's version was overwritten")
	}
	sameFiles(t, filepath.Join(repoRoot, file), filepath.Join(repoRoot, "examples", "serverless-webshop.yaml"))
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Flags win over the environment, which wins over the config file; the
// file's token goes only to the server the file names.
func TestServerSettingsPrecedence(t *testing.T) {
	s := startServer(t, nil)
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	t.Setenv(envConfig, cfg)
	if err := writeConfig(cfg, &configFile{Server: s.url, Org: "default", Token: s.token}); err != nil {
		t.Fatal(err)
	}
	const bad = "dmc_notavalidtokenatall"
	secrets := []string{s.token, bad}
	expect := func(t *testing.T, code int, says string, args ...string) {
		t.Helper()
		_, stderr, got := cli(t, "", secrets, args...)
		if got != code || !strings.Contains(stderr, says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", args, got, code, says, stderr)
		}
	}
	expect(t, 0, "", "systems", "list")
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	expect(t, 0, "others may read it", "systems", "list")
	if err := os.Chmod(cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envToken, bad)
	expect(t, exitInvalid, "the token is not valid", "systems", "list")
	expect(t, 0, "", "--token", s.token, "systems", "list")
	t.Setenv(envToken, "")

	t.Setenv(envOrg, "nowhere")
	expect(t, exitInvalid, "nowhere", "systems", "list")
	expect(t, 0, "", "--org", "default", "systems", "list")
	t.Setenv(envOrg, "")

	closed := closedPort(t)
	t.Setenv(envServer, closed)
	expect(t, exitInternal, "cannot reach the server at "+closed, "systems", "list")
	expect(t, 0, "", "--server", s.url, "systems", "list")

	// Another server gets no token from a file made for this one.
	var mu sync.Mutex
	var auth, agents []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":{"code":"unauthorized","message":"no credentials"}}`))
	}))
	defer other.Close()
	t.Setenv(envServer, other.URL)
	expect(t, exitInvalid, "needs a token", "systems", "list")
	mu.Lock()
	if len(auth) == 0 || strings.Join(auth, "") != "" {
		t.Errorf("the other server was sent credentials: %q", auth)
	}
	if len(agents) == 0 || !strings.HasPrefix(agents[0], "demarc/") {
		t.Errorf("User-Agent %q", agents)
	}
	mu.Unlock()
	t.Setenv(envServer, "")

	// --server '' works on local files whatever is configured.
	t.Setenv(envConfig, filepath.Join(t.TempDir(), "absent.yaml"))
	local := mustRun(t, "local")(cli(t, "", secrets, "matrix", "--system", "examples/serverless-webshop.yaml", "-F", "csv"))
	t.Setenv(envConfig, cfg)
	forced := mustRun(t, "--server ''")(cli(t, "", secrets, "--server", "", "matrix", "--system", "examples/serverless-webshop.yaml", "-F", "csv"))
	if forced != local || !strings.HasPrefix(local, "system,framework,control,") {
		t.Errorf("--server '' did not give the local matrix:\n%s", firstDiff(local, forced))
	}
}

// closedPort is a loopback URL nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// login checks the token, saves it readable by the owner only and never
// shows it; logout removes it.
func TestLoginLogout(t *testing.T) {
	s := startServer(t, nil)
	cfg := filepath.Join(t.TempDir(), "demarc", "config.yaml")
	t.Setenv(envConfig, cfg)
	secrets := []string{s.token}

	_, stderr, code := cli(t, "dmc_wrongwrongwrong\n", append(secrets, "dmc_wrongwrongwrong"), "login", "--server", s.url)
	if code != exitInvalid || !strings.Contains(stderr, "the token is not valid") {
		t.Errorf("login with a bad token: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Errorf("a failed login wrote the config file: %v", err)
	}
	_, stderr, code = cli(t, "", secrets, "login", "--server", s.url, "--token", s.token)
	if code != exitUsage || !strings.Contains(stderr, "standard input") {
		t.Errorf("login --token: exit %d\n%s", code, stderr)
	}

	out := mustRun(t, "login")(cli(t, s.token+"\n", secrets, "login", "--server", s.url))
	if !strings.Contains(out, "organisation default") {
		t.Errorf("login said: %s", out)
	}
	info, err := os.Stat(cfg)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("config file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	cf, private, err := readConfig(cfg)
	if err != nil || !private || cf.Server != s.url || cf.Org != "default" || cf.Token != s.token {
		t.Fatalf("config after login: %+v private=%v %v", cf, private, err)
	}
	list := mustRun(t, "list after login")(cli(t, "", secrets, "systems", "list"))
	if !strings.Contains(list, "0 systems") {
		t.Errorf("list: %s", list)
	}

	mustRun(t, "logout")(cli(t, "", secrets, "logout"))
	cf, private, err = readConfig(cfg)
	if err != nil || !private || cf.Token != "" || cf.Server != s.url {
		t.Fatalf("config after logout: %+v private=%v %v", cf, private, err)
	}
	_, stderr, code = cli(t, "", secrets, "systems", "list")
	if code != exitInvalid || !strings.Contains(stderr, "needs a token") {
		t.Errorf("list after logout: exit %d\n%s", code, stderr)
	}
}

// Failures say what went wrong and exit with a code a script can use.
func TestServerFailures(t *testing.T) {
	s := startServer(t, nil)
	secrets := []string{s.token, "dmc_badbadbadbad"}
	cases := []struct {
		args []string
		code int
		says string
	}{
		{[]string{"--server", s.url, "--token", "dmc_badbadbadbad", "systems", "list"}, exitInvalid, "the token is not valid"},
		{[]string{"--server", closedPort(t), "matrix", "--system", "x"}, exitInternal, "cannot reach the server at http://127.0.0.1:"},
		{[]string{"--server", "http://demarc.example.com", "systems", "list"}, exitUsage, "refusing plain http"},
		{[]string{"--server", "https://user:pw@demarc.example.com", "systems", "list"}, exitUsage, "must not hold credentials"},
		{[]string{"--server", "ftp://demarc.example.com", "systems", "list"}, exitUsage, "expected a URL"},
		{[]string{"--server", s.token, "systems", "list"}, exitUsage, "expected a URL"},
		{[]string{"--server", s.url, "--token", s.token, "--library", "x.yaml", "check", "--system", "x", "--config", "examples/config"}, exitUsage, "--library is not available against a server"},
		{[]string{"--server", s.url, "--token", s.token, "gaps", "--system", "x", "--attestations", "r.yaml"}, exitUsage, "--attestations is not available against a server"},
		{[]string{"--server", s.url, "--token", s.token, "matrix", "--system", "x", "-f", "oscal/testdata/select_profile.json"}, exitUsage, "not OSCAL files"},
		{[]string{"--server", s.url, "--token", s.token, "diff", "a.yaml", "b.yaml", "--system", "x"}, exitUsage, "comparing two files is not available"},
		{[]string{"--server", s.url, "--token", s.token, "--library", "x.yaml", "risk", "--system", "x"}, exitUsage, "--library is not available against a server"},
		{[]string{"systems", "list"}, exitUsage, "none is configured"},
		{[]string{"diff", "--system", "x", "--from", "1", "--to", "2"}, exitUsage, "none is configured"},
		{[]string{"--token", s.token, "systems", "list"}, exitUsage, "need a server"},
	}
	for _, c := range cases {
		_, stderr, code := cli(t, "", secrets, c.args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, want %d saying %q:\n%s", c.args, code, c.code, c.says, stderr)
		}
	}
}

// A caller in several organisations must say which one.
func TestAmbiguousOrganisation(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demarc.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var orgs []demarc.OrgID
	for _, slug := range []string{"acme", "globex"} {
		o, _, err := st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: slug, Name: slug}, demarc.MemberInput{Email: "owner@" + slug + ".example", Name: "Owner", Role: demarc.RoleOwner})
		if err != nil {
			t.Fatal(err)
		}
		orgs = append(orgs, o.ID)
	}
	srv, err := server.New(server.Config{Store: st, Local: true, NoRateLimit: true, Orgs: func(context.Context) ([]demarc.OrgID, error) { return orgs, nil }})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	_, stderr, code := cli(t, "", nil, "--server", hs.URL, "systems", "list")
	if code != exitUsage || !strings.Contains(stderr, "several organisations (acme, globex)") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	out := mustRun(t, "--org globex")(cli(t, "", nil, "--server", hs.URL, "--org", "globex", "systems", "list"))
	if !strings.Contains(out, "0 systems") {
		t.Errorf("list: %s", out)
	}
}
