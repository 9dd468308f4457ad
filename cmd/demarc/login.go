package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/demarc-io/demarc/server"
)

func init() {
	extraCommands = append(extraCommands, (*app).loginCommand, (*app).logoutCommand)
}

// maxTokenLine bounds what login reads from standard input.
const maxTokenLine = 4 << 10

func (a *app) loginCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login --server URL [--org SLUG] < token-file",
		Short: "Save a server and its API token for the commands to use",
		Long: `Read an API token from standard input (typed without echo on a terminal,
or piped from a file or a secret store — never given on the command line,
where other users of the machine can see it), check it against the server,
and save the server, the token's organisation and the token in the config
file ($DEMARC_CONFIG, else demarc/config.yaml in your config folder),
readable by you only.

After that, --system NAME on the analysis commands names a system on that
server; --server '' still works on local files.`,
		Example: `  demarc login --server https://demarc.example.com
  pass show demarc/token | demarc login --server https://demarc.example.com`,
		Args: exactArgs(0, "no arguments (the token is read from standard input)"),
		RunE: func(cmd *cobra.Command, _ []string) error { return a.login(cmd) },
	}
	return cmd
}

func (a *app) login(cmd *cobra.Command) error {
	if a.token != "" {
		return usageError{errors.New("login reads the token from standard input, not --token: command lines are visible to other users")}
	}
	conn, err := a.connection()
	if err != nil {
		return err
	}
	if conn.server == "" {
		return usageError{errors.New("name the server: demarc login --server URL")}
	}
	path, err := configPath()
	if err != nil {
		return err
	}
	token, err := a.readToken(conn.server)
	if err != nil {
		return err
	}
	c, err := newClient(conn.server, token, a.insecure)
	if err != nil {
		return err
	}
	me, err := c.me(cmd.Context())
	if err != nil {
		return err
	}
	// The organisation saved before is not asked for: a new token may
	// belong to another one.
	want := a.org
	if want == "" {
		want = os.Getenv(envOrg)
	}
	org, err := pickOrg(me, want, c)
	if err != nil {
		return err
	}
	cf := &configFile{Server: c.String(), Org: org.Org.Slug}
	if me.Via == "token" {
		cf.Token = token
	}
	if err := writeConfig(path, cf); err != nil {
		return err
	}
	who := me.Email
	if who == "" {
		who = "the local user"
	}
	fmt.Fprintf(a.stdout, "Logged in to %s as %s (%s) in organisation %s.\nSaved to %s.\n", c, who, org.Member.Role, org.Org.Slug, path)
	if me.Via != "token" {
		fmt.Fprintf(a.stdout, "The server runs without sign-in (serve --local): no token was saved.\n")
	}
	return nil
}

// readToken reads the token from standard input: without echo from a
// terminal, else the first line.
func (a *app) readToken(serverURL string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(a.stderr, "API token for %s: ", serverURL)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read the token: %w", err)
		}
		return checkToken(string(b))
	}
	line, err := bufio.NewReaderSize(io.LimitReader(a.stdin, maxTokenLine), maxTokenLine).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the token from standard input: %w", err)
	}
	return checkToken(line)
}

// checkToken trims a token and refuses what cannot be one, without
// repeating it.
func checkToken(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", usageError{errors.New("no token on standard input: pipe it in (demarc login --server URL < token-file) or type it at the prompt")}
	case strings.ContainsAny(s, " \t\r\n") || len(s) > 512:
		return "", usageError{errors.New("the text on standard input is not an API token: expected one word, such as dmc_…")}
	}
	return s, nil
}

// pickOrg is the membership to save: the organisation asked for, else
// the caller's only one.
func pickOrg(me *server.Me, want string, c *client) (*server.Membership, error) {
	if want == "" {
		org, err := onlyOrg(me, c)
		if err != nil {
			return nil, err
		}
		want = string(org.ID)
	}
	var slugs []string
	for i, m := range me.Memberships {
		if m.Org.Slug == want || string(m.Org.ID) == want {
			return &me.Memberships[i], nil
		}
		slugs = append(slugs, m.Org.Slug)
	}
	return nil, &remoteError{exit: exitInvalid, msg: fmt.Sprintf("the caller is not a member of organisation %q on %s; it belongs to: %s", want, c, strings.Join(slugs, ", "))}
}

func (a *app) logoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove the saved API token from the config file",
		Long: `Remove the API token from the config file, keeping the server and
organisation. The token itself stays valid on the server until an admin
(or you, in the web UI) revokes it.`,
		Example: `  demarc logout`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := configPath()
			if err != nil {
				return err
			}
			cf, _, err := readConfig(path)
			if err != nil {
				return err
			}
			if cf.Token == "" {
				fmt.Fprintf(a.stdout, "No token is saved in %s.\n", path)
			} else {
				cf.Token = ""
				if err := writeConfig(path, cf); err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "Removed the token for %s from %s.\n", cf.Server, path)
			}
			if os.Getenv(envToken) != "" {
				fmt.Fprintf(a.stderr, "warning: %s is still set in the environment\n", envToken)
			}
			return nil
		},
	}
}
