package ssp

import (
	"sort"
	"strconv"

	oscalread "github.com/defenseunicorns/go-oscal/src/types/oscal-1-2-2"
)

// eachByComponent calls fn for every by-component of the document's
// requirements, at requirement level and under statements, with its JSON
// path and its statement id ("" at requirement level).
func (d *Document) eachByComponent(fn func(r *Requirement, stmt string, bc *oscalread.ByComponent, path string)) {
	for ri := range d.Requirements {
		r := &d.Requirements[ri]
		if r.ByComponents != nil {
			for i := range *r.ByComponents {
				fn(r, "", &(*r.ByComponents)[i], r.Path+".by-components["+strconv.Itoa(i)+"]")
			}
		}
		if r.Statements == nil {
			continue
		}
		for si := range *r.Statements {
			s := &(*r.Statements)[si]
			if s.ByComponents == nil {
				continue
			}
			for i := range *s.ByComponents {
				fn(r, s.StatementId, &(*s.ByComponents)[i], r.Path+".statements["+strconv.Itoa(si)+"].by-components["+strconv.Itoa(i)+"]")
			}
		}
	}
}

// statements indexes a document's exported statements by uuid.
type statements struct {
	provided, responsibilities map[string]string // uuid → JSON path
}

func (d *Document) statements() statements {
	s := statements{provided: map[string]string{}, responsibilities: map[string]string{}}
	d.eachByComponent(func(_ *Requirement, _ string, bc *oscalread.ByComponent, path string) {
		if bc.Export == nil {
			return
		}
		if bc.Export.Provided != nil {
			for i, p := range *bc.Export.Provided {
				s.provided[p.UUID] = path + ".export.provided[" + strconv.Itoa(i) + "]"
			}
		}
		if bc.Export.Responsibilities != nil {
			for i, r := range *bc.Export.Responsibilities {
				s.responsibilities[r.UUID] = path + ".export.responsibilities[" + strconv.Itoa(i) + "]"
			}
		}
	})
	return s
}

// external reports whether a component is marked as outside the system:
// implementation-point external.
func external(c *oscalread.SystemComponent) bool {
	if c.Props == nil {
		return false
	}
	for _, p := range *c.Props {
		if p.Name == "implementation-point" && p.Ns == "" && p.Value == "external" {
			return true
		}
	}
	return false
}

// checkReferences reports the uuid references inside the document that no
// schema checks: by-components name components of the document,
// responsibilities name provided statements of the document, and inherited
// and satisfied statements point outside it, from leveraged components.
func (d *Document) checkReferences() {
	comps := map[string]*oscalread.SystemComponent{}
	for i := range d.Components {
		comps[d.Components[i].UUID] = &d.Components[i]
	}
	own := d.statements()
	leverages := false
	where := "a component of this document's system-implementation"
	if d.Model == ModelPrototypeS {
		where = "a component of this document"
	}
	d.eachByComponent(func(_ *Requirement, _ string, bc *oscalread.ByComponent, path string) {
		comp := comps[bc.ComponentUuid]
		if comp == nil {
			d.refDefect(path+".component-uuid", bc.ComponentUuid, "the uuid of "+where)
		}
		if bc.Export != nil && bc.Export.Responsibilities != nil {
			for i, r := range *bc.Export.Responsibilities {
				if _, ok := own.provided[r.ProvidedUuid]; r.ProvidedUuid != "" && !ok {
					d.refDefect(path+".export.responsibilities["+strconv.Itoa(i)+"].provided-uuid", r.ProvidedUuid, "the uuid of a provided statement in this document")
				}
			}
		}
		inherits := bc.Inherited != nil && len(*bc.Inherited) > 0 || bc.Satisfied != nil && len(*bc.Satisfied) > 0
		if !inherits {
			return
		}
		leverages = true
		if comp != nil && !external(comp) {
			d.refDefect(path+".component-uuid", bc.ComponentUuid, "a leveraged component (implementation-point external) for a by-component with inherited or satisfied statements: they describe what comes from a leveraged system")
		}
		if bc.Inherited != nil {
			for i, in := range *bc.Inherited {
				if first, ok := own.provided[in.ProvidedUuid]; ok {
					d.refDefectAt(path+".inherited["+strconv.Itoa(i)+"].provided-uuid", in.ProvidedUuid, first, "a provided statement of a leveraged system, not one this document exports itself")
				}
			}
		}
		if bc.Satisfied != nil {
			for i, s := range *bc.Satisfied {
				if first, ok := own.responsibilities[s.ResponsibilityUuid]; ok {
					d.refDefectAt(path+".satisfied["+strconv.Itoa(i)+"].responsibility-uuid", s.ResponsibilityUuid, first, "a responsibility of a leveraged system, not one this document exports itself")
				}
			}
		}
	})
	if leverages && d.Model == ModelSSP {
		if at(d.root, []string{ModelSSP, "system-implementation", "leveraged-authorizations"}) == nil {
			d.Defects = append(d.Defects, Defect{Document: d.Name, Path: "$." + ModelSSP + ".system-implementation.leveraged-authorizations", Value: "nothing",
				Expected: "leveraged-authorizations naming the systems whose statements the plan inherits or satisfies", Kind: DefectReference})
		}
	}
}

// refDefectAt reports a reference to the object at target.
func (d *Document) refDefectAt(path, value, target, expected string) {
	d.Defects = append(d.Defects, Defect{Document: d.Name, Path: path, Value: show(value) + ", which is " + target, Expected: expected, Kind: DefectReference})
}

func (d *Document) refDefect(path, value, expected string) {
	d.Defects = append(d.Defects, Defect{Document: d.Name, Path: path, Value: show(value), Expected: expected, Kind: DefectReference})
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
