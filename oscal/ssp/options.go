package ssp

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/demarc-io/demarc"
)

// Options tune the documents this package writes. The zero value is ready
// to use.
type Options struct {
	// LastModified stamps the document's metadata; zero means now. Pin it
	// to get byte-identical output from identical input.
	LastModified time.Time
	// Version is the document's own version; empty means the day of
	// LastModified, such as 2026-11-25.
	Version string
	// Profile is the href of the OSCAL profile or catalog the plan
	// implements; empty means NIST's published catalog for NIST SP 800-53
	// rev 5, and a demarc URN naming the framework otherwise.
	Profile string
	// Status is the system's operational state: operational (the default),
	// under-development, under-major-modification, disposition or other.
	Status string
	// CustomerImplemented marks the customer's parts as implemented. By
	// default they are planned: demarc assigns the work, it does not see it
	// done.
	CustomerImplemented bool
}

// systemStates are the states OSCAL allows for a system's status.
var systemStates = []string{"operational", "under-development", "under-major-modification", "disposition", "other"}

func (o Options) stamp() time.Time {
	if o.LastModified.IsZero() {
		return time.Now().UTC().Truncate(time.Second)
	}
	return o.LastModified.UTC()
}

func (o Options) version(stamp time.Time) string {
	if o.Version != "" {
		return o.Version
	}
	return stamp.Format(demarc.DateLayout)
}

func (o Options) status() (string, error) {
	if o.Status == "" {
		return "operational", nil
	}
	for _, s := range systemStates {
		if s == o.Status {
			return s, nil
		}
	}
	return "", demarc.Errorf(demarc.EInvalid, "unknown system status %q; expected one of %s", o.Status, strings.Join(systemStates, ", "))
}

func (o Options) customerState() string {
	if o.CustomerImplemented {
		return stateImplemented
	}
	return statePlanned
}

// nistCatalog is where NIST publishes the SP 800-53 rev 5 catalog in OSCAL.
const nistCatalog = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json"

// frameworkHref is the catalog a framework's control ids refer to.
func frameworkHref(fw *demarc.Framework) string {
	if fw.ID == "nist-800-53-r5" {
		return nistCatalog
	}
	return "urn:demarc:framework:" + string(fw.ID)
}

func (o Options) profile(fw *demarc.Framework) string {
	if o.Profile != "" {
		return o.Profile
	}
	return frameworkHref(fw)
}

// tokenPattern is OSCAL's token datatype, which control ids must match.
var tokenPattern = regexp.MustCompile(`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`)

// controlTokens gives every control of a framework an OSCAL control-id.
// Ids that are tokens already ("ac-2.1", "a.5.1") stay as they are; others
// ("1.1", "a&a-01", "164.308(a)(1)") are rewritten — parentheses and other
// punctuation become "_", and a leading digit gets a "_" — and the
// framework's own id travels in a control-id property.
type controlTokens map[demarc.ControlID]string

func newControlTokens(fw *demarc.Framework) controlTokens {
	t := controlTokens{}
	used := map[string]bool{}
	for _, c := range fw.Controls {
		tok := tokenFor(string(c.ID))
		base := tok
		for n := 2; used[tok]; n++ {
			tok = base + "-" + strconv.Itoa(n)
		}
		used[tok] = true
		t[c.ID] = tok
	}
	return t
}

func tokenFor(s string) string {
	if tokenPattern.MatchString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ')':
		case r == '.' || r == '-' || r == '_' || isLetterOrDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if out == "" || !tokenPattern.MatchString(out) {
		out = "_" + out
	}
	return out
}

func isLetterOrDigit(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// rewritten reports whether c's OSCAL control-id differs from its own id.
func (t controlTokens) rewritten(c demarc.ControlID) bool { return t[c] != string(c) }
