package ssp

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// nsURL is RFC 4122's name space for URLs (Appendix C).
var nsURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// space is the name space of every UUID demarc derives: itself the version
// 5 UUID of demarc's OSCAL namespace URL.
var space = parseUUID(uuidV5(nsURL, NS))

// uuidV5 returns the version 5 (SHA-1, name-based) UUID of name in the name
// space ns, as RFC 4122 section 4.3 describes.
func uuidV5(ns [16]byte, name string) string {
	return uuidV5Parts(ns, name)
}

// uuidV5Parts is uuidV5 of the parts joined by the unit separator (U+001F),
// hashed without building the joined name.
func uuidV5Parts(ns [16]byte, parts ...string) string {
	var stack [512]byte
	b := append(stack[:0], ns[:]...)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0x1f)
		}
		b = append(b, p...)
	}
	sum := sha1.Sum(b)
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

func parseUUID(s string) [16]byte {
	var u [16]byte
	if _, err := hex.Decode(u[:], []byte(strings.ReplaceAll(s, "-", ""))); err != nil {
		panic("ssp: bad built-in UUID " + s) // only ever called on uuidV5's own output
	}
	return u
}

// id returns the stable UUID of the thing the parts name, such as
// id("provided", "aws/lambda", "nist-800-53-r5", "si-2", "os.patching").
func id(parts ...string) string {
	return uuidV5Parts(space, parts...)
}
