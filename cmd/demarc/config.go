package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
)

// Environment variables that point the CLI at a server. Flags win over
// them, and they win over the config file.
const (
	envServer = "DEMARC_SERVER"
	envToken  = "DEMARC_TOKEN"
	envOrg    = "DEMARC_ORG"
	envConfig = "DEMARC_CONFIG"
)

// maxConfigSize bounds the config file: it holds three short lines.
const maxConfigSize = 64 << 10

// configFile is the CLI's saved connection to a server, as demarc login
// writes it.
type configFile struct {
	Server string `yaml:"server,omitempty"`
	Org    string `yaml:"org,omitempty"`
	Token  string `yaml:"token,omitempty"`
}

// connection is where requests go: each setting from the first of flag,
// environment and config file that gives it. server is empty when no
// server is configured, and the commands work on local files.
type connection struct {
	server, token, org string
}

// configPath is $DEMARC_CONFIG, else demarc/config.yaml in the user's
// config folder.
func configPath() (string, error) {
	if p := os.Getenv(envConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", &demarc.Error{Code: demarc.EInvalid, Message: "cannot find the user config folder; set " + envConfig + " to a file", Err: err}
	}
	return filepath.Join(dir, "demarc", "config.yaml"), nil
}

// tokenLike matches demarc API token secrets, which no message may show.
var tokenLike = regexp.MustCompile(`dmc_[A-Za-z0-9_-]+`)

// readConfig reads the config file; a missing file is an empty config.
// Its errors never quote a token.
func readConfig(path string) (cf *configFile, private bool, err error) {
	cf = &configFile{}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cf, true, nil
	}
	if err != nil {
		return nil, false, &demarc.Error{Code: demarc.EInvalid, Message: "cannot read the config file " + path, Err: err}
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, false, &demarc.Error{Code: demarc.EInvalid, Message: "cannot read the config file " + path, Err: err}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	switch {
	case err != nil:
		return nil, false, &demarc.Error{Code: demarc.EInvalid, Message: "cannot read the config file " + path, Err: err}
	case len(data) > maxConfigSize:
		return nil, false, demarc.Errorf(demarc.EInvalid, "the config file %s is larger than %d KB; expected server, org and token", path, maxConfigSize>>10)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cf); err != nil && !errors.Is(err, io.EOF) {
		msg := tokenLike.ReplaceAllString(err.Error(), "[token]")
		return nil, false, demarc.Errorf(demarc.EInvalid, "config file %s: %s; expected the fields server, org and token", path, msg)
	}
	return cf, info.Mode().Perm()&0o077 == 0, nil
}

// writeConfig replaces the config file with cf, readable by its owner
// only, in one step: a crash leaves the old file or the new one.
func writeConfig(path string, cf *configFile) error {
	data, err := yaml.Marshal(cf)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write the config file " + path, Err: err}
	}
	tmp, err := os.CreateTemp(dir, ".config-*") // created with mode 0600
	if err != nil {
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write the config file " + path, Err: err}
	}
	_, werr := tmp.Write(data)
	if err := errors.Join(werr, tmp.Chmod(0o600), tmp.Sync(), tmp.Close()); err != nil {
		os.Remove(tmp.Name()) // best effort: a leftover temp file holds nothing new
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write the config file " + path, Err: err}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return &demarc.Error{Code: demarc.EInvalid, Message: "cannot write the config file " + path, Err: err}
	}
	return nil
}

// connection works out the server, token and organisation: flag, then
// environment, then config file. The config file's token and organisation
// count only for the server the file names, so that a token never goes to
// a server it was not made for.
func (a *app) connection() (*connection, error) {
	if a.conn != nil {
		return a.conn, nil
	}
	conn := &connection{server: os.Getenv(envServer), token: os.Getenv(envToken), org: os.Getenv(envOrg)}
	if a.globals.Changed("server") {
		conn.server = a.serverURL
	}
	if a.token != "" {
		conn.token = a.token
	}
	if a.org != "" {
		conn.org = a.org
	}
	serverGiven := a.globals.Changed("server") || conn.server != ""
	if !serverGiven || conn.token == "" || conn.org == "" {
		if err := a.fillFromConfig(conn, serverGiven); err != nil {
			return nil, err
		}
	}
	if conn.server == "" && (a.token != "" || a.org != "") {
		return nil, usageError{errors.New("--token and --org need a server: give --server URL, set " + envServer + ", or run demarc login")}
	}
	a.conn = conn
	return conn, nil
}

// fillFromConfig takes what flags and environment left open from the
// config file.
func (a *app) fillFromConfig(conn *connection, serverGiven bool) error {
	// Without a config folder ($HOME unset) there is no file to read.
	path, err := configPath()
	if err != nil {
		return nil
	}
	cf, private, err := readConfig(path)
	if err != nil {
		return err
	}
	if !serverGiven {
		conn.server = cf.Server
	}
	if cf.Server == "" || conn.server == "" || serverKey(cf.Server) != serverKey(conn.server) {
		return nil
	}
	if conn.token == "" && cf.Token != "" {
		conn.token = cf.Token
		if !private {
			fmt.Fprintf(a.stderr, "warning: %s holds a token and others may read it; run: chmod 600 %s\n", path, path)
		}
	}
	if conn.org == "" {
		conn.org = cf.Org
	}
	return nil
}

// remote returns the client for the configured server, or nil when no
// server is configured and commands work on local files.
func (a *app) remote() (*client, error) {
	if a.client != nil {
		return a.client, nil
	}
	conn, err := a.connection()
	if err != nil || conn.server == "" {
		return nil, err
	}
	c, err := newClient(conn.server, conn.token, a.insecure)
	if err != nil {
		return nil, err
	}
	c.org = conn.org
	a.client = c
	return c, nil
}
