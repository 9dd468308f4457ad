package fedramp

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/demarc-io/demarc"
)

// baselinesJSON lists the controls of FedRAMP's Rev 5 baselines and the
// statement parts of each, by id only. It is derived from FedRAMP's
// baseline profiles and NIST's SP 800-53 Rev 5 catalog (both public domain)
// by TestBaselinesMatchProfiles, which rewrites it with -update.
//
//go:embed baselines.json
var baselinesJSON []byte

// Baseline is one FedRAMP Rev 5 baseline: the controls a system of its
// impact level must meet, in the order of FedRAMP's profile.
type Baseline struct {
	ID       string             `json:"id"` // low, moderate, high or li-saas
	Title    string             `json:"title"`
	Version  string             `json:"version"` // the profile's version
	Controls []demarc.ControlID `json:"controls"`
}

// baselineData is the embedded file.
type baselineData struct {
	Catalog   string              `json:"catalog"`
	Baselines []*Baseline         `json:"baselines"`
	Parts     map[string][]string `json:"parts"`
}

var (
	dataOnce sync.Once
	data     baselineData
	dataErr  error
)

func loaded() (*baselineData, error) {
	dataOnce.Do(func() {
		if err := json.Unmarshal(baselinesJSON, &data); err != nil {
			dataErr = &demarc.Error{Code: demarc.EInternal, Message: "embedded FedRAMP baselines are defective", Err: err}
		}
	})
	return &data, dataErr
}

// Baselines returns FedRAMP's Rev 5 baselines: low, moderate, high and
// li-saas. An error means the embedded data is defective.
func Baselines() ([]*Baseline, error) {
	d, err := loaded()
	if err != nil {
		return nil, err
	}
	return d.Baselines, nil
}

// LookupBaseline returns the baseline with id ("moderate", case-insensitive).
// An unknown id gives a demarc.ENotFound error that lists the known ones.
func LookupBaseline(id string) (*Baseline, error) {
	bs, err := Baselines()
	if err != nil {
		return nil, err
	}
	var known []string
	for _, b := range bs {
		if strings.EqualFold(b.ID, id) {
			return b, nil
		}
		known = append(known, b.ID)
	}
	return nil, demarc.Errorf(demarc.ENotFound, "unknown FedRAMP baseline %q; known: %s", id, strings.Join(known, ", "))
}

// Parts returns the labels of the top-level statement parts of control id
// ("a", "b" …), or nil when its statement has no parts.
func Parts(id demarc.ControlID) []string {
	d, err := loaded()
	if err != nil {
		return nil
	}
	return d.Parts[strings.ToLower(string(id))]
}

// Label writes a control id the way FedRAMP's workbooks do: "ac-2.1"
// becomes "AC-2(1)", and a part is added in parentheses: "AC-2(1)(a)".
func Label(id demarc.ControlID, part string) string {
	s := strings.ToUpper(string(id))
	if base, enh, ok := strings.Cut(s, "."); ok {
		s = fmt.Sprintf("%s(%s)", base, enh)
	}
	if part != "" {
		s += "(" + strings.ToLower(part) + ")"
	}
	return s
}
