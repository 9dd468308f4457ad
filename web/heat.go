package web

import (
	"net/url"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/server"
)

// heatMap is areas (grouped by layer) × components, each cell coloured by
// owner with its letter, linking to the explanation.
type heatMap struct {
	Components []server.GridComponent
	Layers     []heatLayer
}

// heatLayer is the rows of one layer.
type heatLayer struct {
	Name string
	Rows []heatRow
}

// heatRow is one area across the components.
type heatRow struct {
	Area  demarc.AreaID
	Title string
	Cells []heatCell
}

// heatCell is one area of one component.
type heatCell struct {
	Owner demarc.Owner
	Href  string
	Label string
	// Title says who decided the cell, shown on hover.
	Title string
}

// heatMap reads the system's cells and lays them out as a grid.
func (v *view) heatMap() (*heatMap, error) {
	var g server.CellGrid
	if _, err := v.get(v.API("systems", escape(string(v.System.ID)), "cells"), nil, &g); err != nil {
		return nil, err
	}
	cells := make(map[[2]string]*server.Cell, len(g.Cells))
	for i := range g.Cells {
		c := &g.Cells[i]
		cells[[2]string{string(c.Area), c.Component}] = c
	}
	h := &heatMap{Components: g.Components}
	for _, l := range g.Layers {
		hl := heatLayer{Name: string(l.Layer)}
		for _, a := range l.Areas {
			hl.Rows = append(hl.Rows, v.heatRow(a, g.Components, cells))
		}
		h.Layers = append(h.Layers, hl)
	}
	return h, nil
}

// heatRow lays out one area across the components.
func (v *view) heatRow(a server.GridArea, comps []server.GridComponent, cells map[[2]string]*server.Cell) heatRow {
	r := heatRow{Area: a.ID, Title: a.Title}
	for _, comp := range comps {
		hc := heatCell{Owner: demarc.OwnerNotApplicable}
		if c, ok := cells[[2]string{string(a.ID), comp.Name}]; ok {
			hc.Owner, hc.Title = c.Owner, string(c.Level)+": "+c.Source
		}
		hc.Href = v.SystemBase() + "explain/" + url.PathEscape(string(a.ID)) + "?component=" + url.QueryEscape(comp.Name) + "#focus"
		hc.Label = a.Title + " on " + comp.Name + ": " + ownerName(hc.Owner)
		r.Cells = append(r.Cells, hc)
	}
	return r
}
