package ssp

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	oscalread "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
	"go.yaml.in/yaml/v3"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
)

// ErrNoModel is wrapped by Import's error when neither the options nor the
// document say the service model.
var ErrNoModel = errors.New("service model not given")

// mappingFramework is the framework whose control-to-area mapping turns a
// leveraged plan's controls into areas.
const mappingFramework demarc.FrameworkID = "nist-800-53-r5"

// ImportOptions say what a leveraged system becomes in the library. Empty
// fields are taken from the document: demarc's own properties when demarc
// wrote it, FedRAMP's cloud-service-model, the organisation among its
// parties, its system name.
type ImportOptions struct {
	// Provider is the provider's library id, such as "acme-cloud".
	Provider demarc.ProviderID
	// Service is the service's id, "provider/name" or just "name".
	Service string
	// Model is the service model, which decides the areas the document
	// does not speak to and what a component running on it inherits.
	Model demarc.Model
	// Title is the service's title.
	Title string
	// Leveraged are the plans of the systems this one leverages; when
	// given, its inherited and satisfied statements must point into them.
	Leveraged []*Document
}

// Statement is a leveraged system turned into a library provider with one
// service, whose overrides say who owns each area the plan speaks to.
type Statement struct {
	Provider demarc.Provider
	// Defects are the document's and those found while importing, in
	// document order.
	Defects []Defect
	// Notes say how the document was read and what it leverages.
	Notes []string
	// Controls counts controls with imported statements; Provided and
	// Responsibilities count the statements imported.
	Controls, Provided, Responsibilities int
	// Leverages names the leveraged documents this plan inherits from.
	Leverages []string

	source *Document
}

// areaStatements gathers what a document says about one area.
type areaStatements struct {
	provider, customer []labeled
	// ownScope holds the provider's part of independently shared areas,
	// which is not exported as provided.
	ownScope      []labeled
	independent   bool
	notApplicable bool
	controls      []string
}

type labeled struct{ label, text string }

type importer struct {
	lib      *library.Library
	doc      *Document
	st       *Statement
	areas    map[demarc.AreaID]*areaStatements
	controls map[string]*demarc.Control // by requirement path
	counted  map[string]bool
}

// Import turns a leveraged plan read by Read into a library provider with
// one service. Each implemented requirement's control is mapped to areas
// through NIST SP 800-53 rev 5 — or, where a statement names its area in
// demarc's area property, to that area alone. Provided statements become
// the provider's part, responsibilities the customer's; an area with both
// is shared (dependently: the customer builds on what is provided). What
// cannot be imported — an unmapped control, an empty statement — is
// reported as a defect, never dropped silently. Errors have code EInvalid:
// the options or the document leave the service model or ids unknown or
// invalid, or the document exports nothing a leveraging system could use.
func Import(lib *library.Library, doc *Document, opts ImportOptions) (*Statement, error) {
	if lib.Framework(mappingFramework) == nil {
		return nil, demarc.Errorf(demarc.ENotFound, "the library has no framework %s, whose mapping import needs", mappingFramework)
	}
	im := &importer{lib: lib, doc: doc, areas: map[demarc.AreaID]*areaStatements{}, controls: map[string]*demarc.Control{}, counted: map[string]bool{},
		st: &Statement{source: doc, Defects: append([]Defect(nil), doc.Defects...), Notes: append([]string(nil), doc.Notes...)}}
	im.read(opts.Leveraged)
	rules := im.rules()
	if len(rules) == 0 {
		return nil, &demarc.Error{Code: demarc.EInvalid, Message: fmt.Sprintf("%s exports nothing a leveraging system can inherit: no sound provided or responsibility statement on a control demarc maps to areas", doc.Name), Err: im.problems()}
	}
	svc, err := im.service(opts, rules)
	if err != nil {
		return nil, err
	}
	im.st.Provider = demarc.Provider{ID: svc.Provider, Title: im.providerTitle(svc.Provider), Kind: kindOf(svc.Model), Services: []demarc.Service{*svc},
		Description: "Imported from the OSCAL plan " + doc.Name + "."}
	sortDefects(im.st.Defects)
	return im.st, nil
}

// problems lists the first defects as the cause of a failed import.
func (im *importer) problems() error {
	ds := im.st.Defects
	sortDefects(ds)
	var ps demarc.Problems
	for i, d := range ds {
		if i == 10 {
			ps = append(ps, demarc.Problem{Message: fmt.Sprintf("… and %d more defects", len(ds)-10)})
			break
		}
		ps = append(ps, demarc.Problem{Pos: demarc.Position{File: d.Document}, Field: d.Path, Message: strings.TrimPrefix(d.String(), d.Document+": "+d.Path+": ")})
	}
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (im *importer) read(leveraged []*Document) {
	lev := indexLeveraged(leveraged)
	lev.own = im.doc.statements()
	inherits := map[string]int{}
	im.doc.eachByComponent(func(r *Requirement, stmt string, bc *oscalread.ByComponent, path string) {
		c := im.control(r)
		label := stmt
		if label == "" {
			label = r.ControlId
		}
		if bc.Props != nil && c != nil {
			for _, a := range readPropValues(bc.Props, NS, propNotApplicable) {
				if im.lib.Area(demarc.AreaID(a)) != nil {
					im.area(demarc.AreaID(a), string(c.ID)).notApplicable = true
				}
			}
		}
		if bc.Export != nil {
			im.readExport(c, label, bc.Export, path+".export")
		}
		im.checkLeveraged(bc, path, lev, inherits)
	})
	names := make([]string, 0, len(inherits))
	for n := range inherits {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		im.st.Leverages = append(im.st.Leverages, n)
		im.st.Notes = append(im.st.Notes, fmt.Sprintf("leverages %s: %d inherited or satisfied statements point into it; in a system file, run this service's component on the component that uses it (runs_on)", n, inherits[n]))
	}
}

// control returns the control of a requirement, reporting once a control
// demarc cannot map to areas.
func (im *importer) control(r *Requirement) *demarc.Control {
	if c, ok := im.controls[r.Path]; ok {
		return c
	}
	id := r.ControlId
	if orig := readPropValue(r.Props, NS, propControlID); orig != "" {
		id = orig
	}
	c := im.lib.Control(mappingFramework, demarc.ControlID(canonicalControl(id)))
	switch {
	case c == nil:
		im.defect(r.Path+".control-id", show(r.ControlId), "a control of NIST SP 800-53 rev 5, whose mapping to areas import uses (its statements are not imported)", DefectUnmapped, true)
	case c.Withdrawn || len(c.Areas) == 0:
		im.defect(r.Path+".control-id", show(r.ControlId), "a control NIST SP 800-53 rev 5 has not withdrawn (its statements are not imported)", DefectUnmapped, true)
		c = nil
	}
	im.controls[r.Path] = c
	return c
}

var parenEnhancement = regexp.MustCompile(`\((\d+)\)`)

// canonicalControl writes "AC-2(1)" and "ac-02.1" as "ac-2.1".
func canonicalControl(id string) string {
	id = strings.ToLower(strings.TrimSpace(id))
	id = parenEnhancement.ReplaceAllString(id, ".$1")
	if fam, rest, ok := strings.Cut(id, "-"); ok {
		rest = strings.TrimLeft(rest, "0")
		if rest == "" || rest[0] == '.' {
			rest = "0" + rest
		}
		id = fam + "-" + rest
	}
	return id
}

func (im *importer) defect(path, value, expected, kind string, skipped bool) {
	im.st.Defects = append(im.st.Defects, Defect{Document: im.doc.Name, Path: path, Value: value, Expected: expected, Kind: kind, Skipped: skipped})
}

func (im *importer) area(a demarc.AreaID, control string) *areaStatements {
	s := im.areas[a]
	if s == nil {
		s = &areaStatements{}
		im.areas[a] = s
	}
	s.controls = appendOnce(s.controls, control)
	return s
}

// areasOf returns the areas a statement speaks to: those its area
// properties name, else the control's.
func (im *importer) areasOf(c *demarc.Control, props *[]oscalread.Property, path string) []demarc.AreaID {
	var out []demarc.AreaID
	if props != nil {
		for i, p := range *props {
			if p.Name != propArea || p.Ns != NS {
				continue
			}
			if im.lib.Area(demarc.AreaID(p.Value)) == nil {
				im.defect(fmt.Sprintf("%s.props[%d].value", path, i), show(p.Value), "an area of demarc's library (the control's areas are used instead)", DefectContent, false)
				continue
			}
			out = append(out, demarc.AreaID(p.Value))
		}
	}
	if len(out) == 0 {
		out = c.Areas
	}
	return out
}

func (im *importer) readExport(c *demarc.Control, label string, exp *oscalread.Export, path string) {
	if exp.Provided != nil {
		for i, p := range *exp.Provided {
			here := fmt.Sprintf("%s.provided[%d]", path, i)
			text := collapse(p.Description)
			if c == nil {
				continue
			}
			if text == "" {
				im.defect(here+".description", show(p.Description), "a description of what leveraging systems inherit", DefectContent, true)
				continue
			}
			im.st.Provided++
			im.count(c)
			for _, a := range im.areasOf(c, p.Props, here) {
				s := im.area(a, string(c.ID))
				s.provider = append(s.provider, labeled{label, text})
			}
		}
	}
	if exp.Responsibilities == nil {
		return
	}
	for i, r := range *exp.Responsibilities {
		here := fmt.Sprintf("%s.responsibilities[%d]", path, i)
		text := collapse(r.Description)
		if c == nil {
			continue
		}
		if text == "" {
			im.defect(here+".description", show(r.Description), "a description of what leveraging systems must do", DefectContent, true)
			continue
		}
		im.st.Responsibilities++
		im.count(c)
		independent := readPropValue(r.Props, NS, propSharing) == string(demarc.SharingIndependent)
		for _, a := range im.areasOf(c, r.Props, here) {
			s := im.area(a, string(c.ID))
			s.customer = append(s.customer, labeled{label, text})
			if independent {
				s.independent = true
				if strings.TrimSpace(r.Remarks) != "" {
					s.ownScope = append(s.ownScope, labeled{label, collapse(r.Remarks)})
				}
			}
		}
	}
}

func (im *importer) count(c *demarc.Control) {
	if !im.counted[string(c.ID)] {
		im.counted[string(c.ID)] = true
		im.st.Controls++
	}
}

// leveragedIndex maps the statements of leveraged documents to their
// documents.
type leveragedIndex struct {
	names                      []string
	provided, responsibilities map[string]string // uuid → document title
	// own are the document's own statements, whose references Read
	// reports already.
	own statements
}

func indexLeveraged(docs []*Document) leveragedIndex {
	x := leveragedIndex{provided: map[string]string{}, responsibilities: map[string]string{}}
	for _, d := range docs {
		name := d.Name
		if d.Title != "" {
			name = d.Title + " (" + d.Name + ")"
		}
		x.names = append(x.names, d.Name)
		s := d.statements()
		for u := range s.provided {
			x.provided[u] = name
		}
		for u := range s.responsibilities {
			x.responsibilities[u] = name
		}
	}
	return x
}

// checkLeveraged follows inherited and satisfied statements into the
// leveraged documents, when there are any.
func (im *importer) checkLeveraged(bc *oscalread.ByComponent, path string, lev leveragedIndex, inherits map[string]int) {
	if len(lev.names) == 0 {
		return
	}
	into := strings.Join(lev.names, ", ")
	if bc.Inherited != nil {
		for i, in := range *bc.Inherited {
			if name, ok := lev.provided[in.ProvidedUuid]; ok {
				inherits[name]++
			} else if _, self := lev.own.provided[in.ProvidedUuid]; in.ProvidedUuid != "" && !self {
				im.defect(fmt.Sprintf("%s.inherited[%d].provided-uuid", path, i), show(in.ProvidedUuid), "the uuid of a provided statement of a leveraged plan ("+into+")", DefectReference, false)
			}
		}
	}
	if bc.Satisfied != nil {
		for i, s := range *bc.Satisfied {
			if name, ok := lev.responsibilities[s.ResponsibilityUuid]; ok {
				inherits[name]++
			} else if _, self := lev.own.responsibilities[s.ResponsibilityUuid]; s.ResponsibilityUuid != "" && !self {
				im.defect(fmt.Sprintf("%s.satisfied[%d].responsibility-uuid", path, i), show(s.ResponsibilityUuid), "the uuid of a responsibility of a leveraged plan ("+into+")", DefectReference, false)
			}
		}
	}
}

// rules turns what the document says about each area into one rule per
// area, in library order.
func (im *importer) rules() []demarc.Rule {
	var out []demarc.Rule
	for _, a := range im.lib.Areas() {
		s := im.areas[a.ID]
		if s == nil {
			continue
		}
		r := demarc.Rule{Area: a.ID, Note: "From " + im.doc.Name + ": " + strings.Join(s.controls, ", ") + "."}
		switch {
		case len(s.provider) > 0 && len(s.customer) > 0:
			r.Owner, r.Sharing = demarc.OwnerShared, demarc.SharingDependent
			r.Provider, r.Customer = merge(s.provider), merge(s.customer)
		case len(s.customer) > 0 && s.independent:
			r.Owner, r.Sharing = demarc.OwnerShared, demarc.SharingIndependent
			r.Provider, r.Customer = merge(s.ownScope), merge(s.customer)
			if r.Provider == "" {
				r.Provider = "Does the same for its own operations and staff."
			}
		case len(s.customer) > 0:
			r.Owner, r.Customer = demarc.OwnerCustomer, merge(s.customer)
		case len(s.provider) > 0:
			r.Owner, r.Provider = demarc.OwnerProvider, merge(s.provider)
		case s.notApplicable:
			r.Owner = demarc.OwnerNotApplicable
		default:
			continue
		}
		out = append(out, r)
	}
	return out
}

// merge joins what statements say about one area: one text when they
// agree, else each text under the controls or statements that say it.
func merge(ls []labeled) string {
	var texts []string
	labels := map[string][]string{}
	for _, l := range ls {
		if _, ok := labels[l.text]; !ok {
			texts = append(texts, l.text)
		}
		labels[l.text] = appendOnce(labels[l.text], l.label)
	}
	if len(texts) == 1 {
		return texts[0]
	}
	lines := make([]string, len(texts))
	for i, t := range texts {
		lines[i] = strings.Join(labels[t], ", ") + ": " + t
	}
	return strings.Join(lines, "\n")
}

var providerIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
var serviceNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]*$`)

// service builds the service from the options and the document.
func (im *importer) service(opts ImportOptions, rules []demarc.Rule) (*demarc.Service, error) {
	d := im.doc
	props := &d.Props
	provider := opts.Provider
	if provider == "" {
		provider = demarc.ProviderID(readPropValue(props, NS, propProvider))
	}
	if provider == "" {
		provider = demarc.ProviderID(slug(firstNonEmpty(im.organisation(), d.ShortName, d.SystemName, d.Title)))
	}
	if !providerIDPattern.MatchString(string(provider)) {
		return nil, demarc.Errorf(demarc.EInvalid, "provider id %q: expected lower-case letters, digits and hyphens, such as acme-cloud", provider)
	}
	name := opts.Service
	if name == "" {
		name = readPropValue(props, NS, propService)
	}
	if p, n, ok := strings.Cut(name, "/"); ok {
		if opts.Service != "" && p != string(provider) {
			return nil, demarc.Errorf(demarc.EInvalid, "service id %q: expected it to start with its provider, %s/", name, provider)
		}
		name = n
	}
	if name == "" {
		name = slug(firstNonEmpty(d.ShortName, "system"))
	}
	if !serviceNamePattern.MatchString(name) {
		return nil, demarc.Errorf(demarc.EInvalid, "service name %q: expected lower-case letters, digits, dots and hyphens", name)
	}
	model, err := im.model(opts.Model)
	if err != nil {
		return nil, err
	}
	category := readPropValue(props, NS, propCategory)
	if !contains(categories, category) {
		category = "other"
	}
	return &demarc.Service{
		ID:          demarc.ServiceID(string(provider) + "/" + name),
		Title:       firstNonEmpty(opts.Title, d.SystemName, d.Title, name),
		Model:       model,
		Category:    category,
		Description: summary(firstNonEmpty(d.Description, "Imported from "+d.Name+".")),
		Overrides:   rules,
		Provider:    provider,
	}, nil
}

// categories are the service categories the library allows.
var categories = []string{"compute", "containers", "serverless", "database", "storage", "network", "identity", "key-management", "logging", "security", "analytics", "messaging", "integration", "ai", "collaboration", "crm", "devtools", "other"}

func (im *importer) model(m demarc.Model) (demarc.Model, error) {
	d := im.doc
	from := "--model"
	if m == "" {
		m, from = demarc.Model(readPropValue(&d.Props, NS, propModel)), "its "+propModel+" property"
	}
	if m == "" {
		if v := readPropValue(&d.Props, NSFedRAMP, "cloud-service-model"); v != "" && v != "other" {
			m, from = demarc.Model(v), "its FedRAMP cloud-service-model property"
		}
	}
	var known []string
	for _, x := range im.lib.Models() {
		known = append(known, string(x.ID))
	}
	if m == "" {
		return "", &demarc.Error{Code: demarc.EInvalid, Message: fmt.Sprintf("%s does not say its service model (it has no cloud-service-model property): give one of %s", d.Name, strings.Join(known, ", ")), Err: ErrNoModel}
	}
	if im.lib.Model(m) == nil {
		return "", demarc.Errorf(demarc.EInvalid, "service model %q (from %s): expected one of %s", m, from, strings.Join(known, ", "))
	}
	return m, nil
}

// organisation is the name of the first organisation among the parties.
func (im *importer) organisation() string {
	for _, p := range im.doc.Parties {
		if p.Type == "organization" && strings.TrimSpace(p.Name) != "" {
			return p.Name
		}
	}
	return ""
}

func (im *importer) providerTitle(id demarc.ProviderID) string {
	if p := im.lib.Provider(id); p != nil && readPropValue(&im.doc.Props, NS, propProvider) == string(id) {
		return p.Title
	}
	return oneLine(firstNonEmpty(im.organisation(), im.doc.SystemName, im.doc.Title, string(id)))
}

func kindOf(m demarc.Model) string {
	if m == demarc.ModelSaaS {
		return "saas"
	}
	return "cloud"
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an id of a name: lower case, words joined by hyphens, at most
// 48 characters.
func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	for len(s) > 48 {
		i := strings.LastIndexByte(s[:48], '-')
		if i <= 0 {
			s = s[:48]
			break
		}
		s = s[:i]
	}
	if s == "" {
		return "imported"
	}
	return s
}

// WriteYAML writes the statement as a library file, with a header that
// says where it came from.
func (s *Statement) WriteYAML(w io.Writer) error {
	d := s.source
	svc := s.Provider.Services[0]
	fmt.Fprintf(w, "# demarc library file: the leveraged system %q as the service %s.\n", svc.Title, svc.ID)
	fmt.Fprintf(w, "# Imported from %s (OSCAL %s %s): %d provided and %d responsibility statements\n", d.Name, d.Version, d.Model, s.Provided, s.Responsibilities)
	fmt.Fprintf(w, "# on %d controls became rules for %d areas, through NIST SP 800-53 rev 5's mapping to areas.\n", s.Controls, len(svc.Overrides))
	fmt.Fprintf(w, "# Areas it does not speak to follow the %s model. Defects reported: %d.\n", svc.Model, len(s.Defects))
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(struct {
		Providers []demarc.Provider `yaml:"providers"`
	}{[]demarc.Provider{s.Provider}}); err != nil {
		return err
	}
	return enc.Close()
}

// readPropValues returns the values of a read document's properties named
// name in namespace ns.
func readPropValues(ps *[]oscalread.Property, ns, name string) []string {
	if ps == nil {
		return nil
	}
	var out []string
	for _, p := range *ps {
		if p.Name == name && p.Ns == ns {
			out = append(out, p.Value)
		}
	}
	return out
}

// readPropValue returns the first value of the property, or "".
func readPropValue(ps *[]oscalread.Property, ns, name string) string {
	if v := readPropValues(ps, ns, name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// summary is the first paragraph of s on one line, at most about 240
// characters, cut at a word.
func summary(s string) string {
	para, _, _ := strings.Cut(strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n")), "\n\n")
	para = oneLine(para)
	if len(para) <= 240 {
		return para
	}
	cut := strings.LastIndexByte(para[:240], ' ')
	if cut <= 0 {
		cut = 240
	}
	return para[:cut] + " …"
}
