package main

import (
	"net/http"
	"strings"

	"github.com/demarc-io/demarc/server"
	"github.com/demarc-io/demarc/web"
)

// webPages makes the web UI of a server configured as cfg: signed in the
// way the server signs people in, its cookies Secure behind https.
func webPages(cfg server.Config) func(api http.Handler) (http.Handler, error) {
	return func(api http.Handler) (http.Handler, error) {
		return web.New(web.Config{API: api, Local: cfg.Local, OIDC: cfg.OIDC != nil,
			Secure: strings.HasPrefix(cfg.PublicURL, "https://"), Logger: cfg.Logger})
	}
}

// webAddress is where people open the web UI: the public URL when one is
// configured, else the address the server listens on.
func webAddress(publicURL, listening string) string {
	if publicURL != "" {
		return strings.TrimSuffix(publicURL, "/") + "/"
	}
	return "http://" + listening + "/"
}
