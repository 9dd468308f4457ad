package oscal

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// datatypes describes, in words a user understands, what each OSCAL
// datatype accepts. A value that breaks a datatype is reported with this
// sentence instead of the datatype's regular expression.
var datatypes = map[string]string{
	"StringDatatype":               "text without leading or trailing whitespace and without line breaks",
	"TokenDatatype":                "a token: a letter or '_' followed by letters, digits, '.', '-' or '_'",
	"UUIDDatatype":                 "an RFC 4122 version 4 or 5 UUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301",
	"DateDatatype":                 "a date such as 2024-01-31, optionally with a time zone",
	"DateWithTimezoneDatatype":     "a date with a time zone such as 2024-01-31Z",
	"DateTimeDatatype":             "a date and time such as 2024-01-31T12:00:00Z",
	"DateTimeWithTimezoneDatatype": "a date and time with a time zone such as 2024-01-31T12:00:00Z",
	"URIDatatype":                  "an absolute URI such as https://example.com/x",
	"URIReferenceDatatype":         "a URI or relative reference such as #ac-2 or ../catalog.json",
	"EmailAddressDatatype":         "an email address",
	"Base64Datatype":               "base64-encoded data",
	"BooleanDatatype":              "true or false",
	"IntegerDatatype":              "an integer",
	"NonNegativeIntegerDatatype":   "an integer of 0 or more",
	"PositiveIntegerDatatype":      "an integer of 1 or more",
	"DecimalDatatype":              "a decimal number",
	"MarkupLineDatatype":           "one line of text",
	"MarkupMultilineDatatype":      "text",
	"json-schema-directive":        "a URI reference naming a JSON schema",
}

// fastPatterns are hand-written equivalents of the regular expressions that
// nearly every OSCAL string is checked against.
var fastPatterns = map[string]func(string) bool{
	`^\S(.*\S)?$`:                      isTrimmedLine,
	`^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$`: isToken,
	`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[45][0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}$`: isUUID,
	"^[^\n]+$": func(s string) bool { return s != "" && !strings.Contains(s, "\n") },
}

// isASCIISpace is Go's regexp \s: tab, newline, form feed, return, space.
func isASCIISpace(b byte) bool {
	return b == '\t' || b == '\n' || b == '\f' || b == '\r' || b == ' '
}

// isTrimmedLine is ^\S(.*\S)?$: not empty, no line feed, and no whitespace
// at either end.
func isTrimmedLine(s string) bool {
	return s != "" && !isASCIISpace(s[0]) && !isASCIISpace(s[len(s)-1]) && strings.IndexByte(s, '\n') < 0
}

// isToken is ^(\p{L}|_)(\p{L}|\p{N}|[.\-_])*$.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsNumber(r) || r == '.' || r == '-'):
		default:
			return false
		}
	}
	return true
}

// isUUID accepts the RFC 4122 form OSCAL requires: version 4 or 5, variant 1.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		case 14:
			if c != '4' && c != '5' {
				return false
			}
		case 19:
			if !strings.ContainsRune("89ABab", rune(c)) {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// formats are the draft-07 formats the OSCAL schemas assert.
var formats = map[string]*stringCheck{
	"date-time":     {source: "date-time", match: isDateTime},
	"email":         {source: "email", match: isEmail},
	"uri":           {source: "uri", match: isURI},
	"uri-reference": {source: "uri-reference", match: isURIReference},
}

// isDateTime is RFC 3339's date-time: a full date, 'T', and a full time
// with a fractional second, if any, and a zone offset.
func isDateTime(s string) bool {
	if len(s) < 20 || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	if _, err := time.Parse("2006-01-02", s[:10]); err != nil {
		return false
	}
	return isFullTime(s[11:])
}

func isFullTime(s string) bool {
	if len(s) < 9 || s[2] != ':' || s[5] != ':' {
		return false
	}
	h, okH := twoDigits(s[0:2])
	m, okM := twoDigits(s[3:5])
	sec, okS := twoDigits(s[6:8])
	if !okH || !okM || !okS || h > 23 || m > 59 || sec > 60 {
		return false
	}
	s = s[8:]
	if rest, ok := strings.CutPrefix(s, "."); ok {
		n := 0
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			return false
		}
		s = rest[n:]
	}
	if s != "Z" && s != "z" {
		if len(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' {
			return false
		}
		zh, okZH := twoDigits(s[1:3])
		zm, okZM := twoDigits(s[4:6])
		if !okZH || !okZM || zh > 23 || zm > 59 {
			return false
		}
		// A leap second is only valid at 23:59:60 UTC.
		offset := zh*60 + zm
		if s[0] == '+' {
			offset = -offset
		}
		hm := ((h*60+m+offset)%(24*60) + 24*60) % (24 * 60)
		h, m = hm/60, hm%60
	}
	return sec < 60 || (h == 23 && m == 59)
}

func twoDigits(s string) (int, bool) {
	if len(s) != 2 || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// isEmail accepts an address of a local part and a domain: a host name or
// a bracketed IP address.
func isEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if len(s) > 254 || at < 0 {
		return false
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > 64 || !isEmailLocal(local) {
		return false
	}
	if strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]") {
		ip := domain[1 : len(domain)-1]
		if v6, ok := strings.CutPrefix(ip, "IPv6:"); ok {
			return isIPv6(v6)
		}
		a, err := netip.ParseAddr(ip)
		return err == nil && a.Is4()
	}
	return isHostname(domain)
}

func isEmailLocal(local string) bool {
	if len(local) > 1 && local[0] == '"' && local[len(local)-1] == '"' {
		inner := local[1 : len(local)-1]
		return !strings.ContainsAny(inner, `\"`)
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if !(r < utf8.RuneSelf && (isAlnum(byte(r)) || strings.ContainsRune(".!#$%&'*+-/=?^_`{|}~", r))) {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) < 1 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

func isIPv6(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && strings.Contains(s, ":") && a.Zone() == ""
}

// isURI accepts an absolute URI.
func isURI(s string) bool {
	u, ok := parseURL(s)
	return ok && u.IsAbs()
}

// isURIReference accepts a URI or a relative reference.
func isURIReference(s string) bool {
	if strings.Contains(s, `\`) {
		return false
	}
	_, ok := parseURL(s)
	return ok
}

// parseURL parses s and checks what net/url leaves unchecked: an IPv6 host
// must be a bracketed, valid address.
func parseURL(s string) (*url.URL, bool) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	if host := u.Hostname(); strings.Contains(host, ":") {
		if !strings.Contains(u.Host, "[") || !strings.Contains(u.Host, "]") || !isIPv6(host) {
			return nil, false
		}
	}
	return u, true
}

// quoteValue shows a string value in a message, shortened when long.
func quoteValue(s string) string {
	const max = 60
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return strconv.Quote(s)
}
