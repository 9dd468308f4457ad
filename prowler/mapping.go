package prowler

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

//go:embed areas.yaml
var areasYAML []byte

// keywordRule gives areas to names that contain one of its texts.
type keywordRule struct {
	Match []string        `yaml:"match"`
	Areas []demarc.AreaID `yaml:"areas"`
}

// checkTable maps check names and section headings to areas.
type checkTable struct {
	Sections []keywordRule              `yaml:"sections"`
	Keywords []keywordRule              `yaml:"keywords"`
	Prefixes map[string][]demarc.AreaID `yaml:"prefixes"`
}

var (
	tableOnce sync.Once
	table     checkTable
	tableErr  error
)

func checks() (*checkTable, error) {
	tableOnce.Do(func() {
		if err := yaml.Unmarshal(areasYAML, &table); err != nil {
			tableErr = fmt.Errorf("embedded Prowler area table: %w", err)
		}
	})
	return &table, tableErr
}

// CheckAreas returns the areas the check table gives a Prowler check
// name, or nil when neither a keyword nor the service prefix is known.
func CheckAreas(check string) []demarc.AreaID {
	t, err := checks()
	if err != nil {
		return nil
	}
	if out := matchRules(t.Keywords, "_"+strings.ToLower(check)+"_"); len(out) > 0 {
		return out
	}
	prefix, _, _ := strings.Cut(strings.ToLower(check), "_")
	return t.Prefixes[prefix]
}

// matchRules collects the areas of every rule with a text name contains.
func matchRules(rules []keywordRule, name string) []demarc.AreaID {
	var out []demarc.AreaID
	for _, k := range rules {
		for _, m := range k.Match {
			if strings.Contains(name, m) {
				out = appendAreas(out, k.Areas...)
				break
			}
		}
	}
	return out
}

var (
	sectionNumber = regexp.MustCompile(`^(?:[a-z]\.)?[0-9][0-9.]*\s+|^ccc\.[a-z]+\.cn[0-9]+\s+`)
	sectionCode   = regexp.MustCompile(`\s*\([a-z]+\)$`)
	nonWord       = regexp.MustCompile(`[^a-z0-9]+`)
)

// SectionAreas returns the areas the table gives a section heading: those
// of the section entries it contains, else of the service it names, else
// of the check keywords in it; nil when none applies.
func SectionAreas(heading string) []demarc.AreaID {
	t, err := checks()
	if err != nil {
		return nil
	}
	h := strings.ToLower(strings.TrimSpace(heading))
	h = sectionCode.ReplaceAllString(sectionNumber.ReplaceAllString(h, ""), "")
	if h == "" {
		return nil
	}
	if out := matchRules(t.Sections, h); len(out) > 0 {
		return out
	}
	if out, ok := t.Prefixes[nonWord.ReplaceAllString(h, "")]; ok {
		return out
	}
	return matchRules(t.Keywords, "_"+strings.Trim(nonWord.ReplaceAllString(h, "_"), "_")+"_")
}

// TableAreas lists every area the check table can map to, for checks
// against a library.
func TableAreas() ([]demarc.AreaID, error) {
	t, err := checks()
	if err != nil {
		return nil, err
	}
	var out []demarc.AreaID
	for _, k := range append(append([]keywordRule(nil), t.Sections...), t.Keywords...) {
		out = appendAreas(out, k.Areas...)
	}
	for _, as := range t.Prefixes {
		out = appendAreas(out, as...)
	}
	return out, nil
}

func appendAreas(list []demarc.AreaID, add ...demarc.AreaID) []demarc.AreaID {
	for _, a := range add {
		dup := false
		for _, x := range list {
			if x == a {
				dup = true
				break
			}
		}
		if !dup {
			list = append(list, a)
		}
	}
	return list
}

// Builtin frameworks a Prowler framework's ids or references can match.
const (
	nist   demarc.FrameworkID = "nist-800-53-r5"
	iso    demarc.FrameworkID = "iso-27001-2022"
	cis    demarc.FrameworkID = "cis-v8"
	ccm    demarc.FrameworkID = "csa-ccm-v4"
	soc2   demarc.FrameworkID = "soc2"
	pci    demarc.FrameworkID = "pci-dss-4"
	hipaa  demarc.FrameworkID = "hipaa-security"
	noneFW demarc.FrameworkID = ""
)

// MatchFramework names the built-in framework whose control ids a Prowler
// framework's requirement ids are, or "" when there is none: CIS
// benchmarks, for one, number their recommendations in their own way.
func MatchFramework(framework, version string) demarc.FrameworkID {
	f := strings.ToLower(framework)
	switch {
	case strings.Contains(f, "nist-800-53") && strings.Contains(f, "5"), strings.Contains(f, "fedramp"):
		return nist
	case f == "iso27001" && strings.HasPrefix(version, "2022"):
		return iso
	case f == "cis-controls":
		return cis
	case strings.Contains(f, "ccm"):
		return ccm
	case f == "soc2":
		return soc2
	case strings.Contains(f, "pci") && strings.HasPrefix(version, "4"):
		return pci
	case strings.Contains(f, "hipaa"):
		return hipaa
	}
	return noneFW
}

// references are Prowler's reference ids for frameworks demarc has.
var references = map[string]demarc.FrameworkID{
	"NIST_800_53": nist, "NIST-800-53": nist,
	"CCM": ccm, "CSA-CCM": ccm,
	"ISO_27001": iso, "ISO-27001": iso,
	"PCI-DSS": pci, "PCI_DSS": pci,
	"CIS": cis, "CIS-Controls": cis,
}

var (
	nistID  = regexp.MustCompile(`^([a-z]{2})[-_ ]?0*(\d+)(?:[-_ .(]+0*(\d+)\)?)?`)
	soc2ID  = regexp.MustCompile(`^(cc|pi|a|c|p)[-_ ]?(\d+)[-_.](\d+)`)
	hipaaID = regexp.MustCompile(`^(\d{3})[-_.](\d{3})((?:[-_.(]+[0-9a-z]+\)?)*)`)
)

// candidates lists the control ids a requirement id may stand for in fw,
// most specific first: Prowler writes "ac_2_3_a" for part a of AC-2(3),
// "cc_6_1" for CC6.1, "164_308_a_1_ii_a" for §164.308(a)(1)(ii)(A).
func candidates(fw demarc.FrameworkID, id string) []string {
	s := strings.ToLower(strings.TrimSpace(id))
	var out []string
	switch fw {
	case nist:
		if m := nistID.FindStringSubmatch(s); m != nil {
			if m[3] != "" {
				out = append(out, m[1]+"-"+m[2]+"."+m[3])
			}
			out = append(out, m[1]+"-"+m[2])
		}
		return out
	case soc2:
		if m := soc2ID.FindStringSubmatch(s); m != nil {
			out = append(out, m[1]+m[2]+"."+m[3])
		}
	case hipaa:
		if m := hipaaID.FindStringSubmatch(s); m != nil {
			parts := strings.FieldsFunc(m[3], func(r rune) bool { return strings.ContainsRune("-_.()", r) })
			for n := len(parts); n >= 0; n-- {
				c := m[1] + "." + m[2]
				for _, p := range parts[:n] {
					c += "(" + p + ")"
				}
				out = append(out, c)
			}
			return out
		}
	}
	// Generic ids: as written, then with "_" or "-" as dots, each cut back
	// one segment at a time ("a.5.1.2" may be a part of A.5.1).
	for _, v := range []string{s, strings.ReplaceAll(s, "_", "."), strings.ReplaceAll(s, "-", ".")} {
		for c := v; c != ""; {
			out = append(out, c)
			i := strings.LastIndexByte(c, '.')
			if i <= 0 {
				break
			}
			c = c[:i]
		}
	}
	return out
}

// lookup finds an active control of fw that id stands for.
func lookup(lib *library.Library, fw demarc.FrameworkID, id string) *demarc.Control {
	for _, c := range candidates(fw, id) {
		if ctl := lib.Control(fw, demarc.ControlID(c)); ctl != nil && !ctl.Withdrawn {
			return ctl
		}
	}
	return nil
}

// MapOptions adjust Map.
type MapOptions struct {
	// Match forces the built-in framework whose ids the requirement ids
	// are; "none" turns id matching off; "" picks it from the file's
	// framework name.
	Match demarc.FrameworkID
}

// Map gives every requirement its areas, from the first source that
// speaks: the control of the built-in framework its id matches; the
// controls its section references in frameworks demarc has; the areas of
// its checks; its section heading. A requirement none of these reaches
// keeps no areas; Framework reports it. Map returns the framework it matched ids against, if any.
// An unknown Match framework is an ENotFound error.
func Map(m *Mapping, lib *library.Library, opt MapOptions) (demarc.FrameworkID, error) {
	fw := MatchFramework(m.Framework, m.Version)
	switch opt.Match {
	case "":
	case "none":
		fw = noneFW
	default:
		if lib.Framework(opt.Match) == nil {
			return "", demarc.Errorf(demarc.ENotFound, "unknown framework %q to match requirement ids against", opt.Match)
		}
		fw = opt.Match
	}
	if fw != noneFW && lib.Framework(fw) == nil {
		fw = noneFW // a user library without it: fall back to the other sources
	}
	// Checks and sections repeat across requirements: map each once.
	memo := map[string][]demarc.AreaID{}
	for i := range m.Requirements {
		mapRequirement(&m.Requirements[i], lib, fw, memo)
	}
	return fw, nil
}

// mapRequirement sets r's areas; memo caches the areas of check names and
// (under "section\x00" keys) of section headings.
func mapRequirement(r *Requirement, lib *library.Library, fw demarc.FrameworkID, memo map[string][]demarc.AreaID) {
	r.Areas, r.AreasFrom, r.Unmatched = nil, "", nil
	if fw != noneFW {
		if c := lookup(lib, fw, r.ID); c != nil && len(c.Areas) > 0 {
			r.Areas, r.AreasFrom = append([]demarc.AreaID(nil), c.Areas...), fmt.Sprintf("%s %s", fw, c.ID)
			return
		}
	}
	if areas, from := referenceAreas(lib, r.References); len(areas) > 0 {
		r.Areas, r.AreasFrom = areas, from
		return
	}
	for _, c := range r.AllChecks() {
		as, ok := memo[c]
		if !ok {
			as = CheckAreas(c)
			memo[c] = as
		}
		if len(as) == 0 {
			r.Unmatched = append(r.Unmatched, c)
			continue
		}
		r.Areas = appendAreas(r.Areas, as...)
	}
	if len(r.Areas) > 0 {
		r.AreasFrom = "checks"
		return
	}
	key := "section\x00" + r.Section
	areas, ok := memo[key]
	if !ok {
		areas = SectionAreas(r.Section)
		memo[key] = areas
	}
	if len(areas) > 0 {
		r.Areas, r.AreasFrom = append([]demarc.AreaID(nil), areas...), "section: "+r.Section
		return
	}
	r.Areas = []demarc.AreaID{} // mapped to nothing: reported by Framework
}

// referenceAreas collects the areas of the controls a requirement's
// section references, in frameworks demarc has.
func referenceAreas(lib *library.Library, refs map[string][]string) ([]demarc.AreaID, string) {
	keys := make([]string, 0, len(refs))
	for k := range refs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var areas []demarc.AreaID
	var used []string
	for _, k := range keys {
		fw, ok := references[k]
		if !ok || lib.Framework(fw) == nil {
			continue
		}
		for _, id := range refs[k] {
			if fw == iso && strings.HasPrefix(id, "2013 ") {
				continue // ISO 27001:2013 numbering is not 2022's
			}
			if c := lookup(lib, fw, id); c != nil && len(c.Areas) > 0 {
				areas = appendAreas(areas, c.Areas...)
				used = append(used, fmt.Sprintf("%s %s", fw, c.ID))
			}
		}
	}
	if len(used) == 0 {
		return nil, ""
	}
	return areas, "references: " + strings.Join(compactUnsorted(used), ", ")
}

func compactUnsorted(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
