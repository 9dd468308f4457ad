package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/demarc-io/demarc/examples"
	"github.com/demarc-io/demarc/server"
)

// The empty dashboard offers demarc's example systems, so that a new
// server has something to look at in one click.
func init() {
	addAction("/examples", func(u *UI) actionFunc { return u.addExamples })
}

// addExamples stores every example system, and the attestation
// registers it names, through the API; ones the organisation already
// has (by name) are left alone.
func (u *UI) addExamples(v *view) (string, error) {
	systems, err := examples.Systems()
	if err != nil {
		return "", err
	}
	added := 0
	for _, s := range systems {
		for _, r := range s.Registers {
			if err := v.createUnlessTaken("attestations", r.Name, r.Content); err != nil && !errors.Is(err, errTaken) {
				return "", err
			}
		}
		err := v.createUnlessTaken("systems", s.Name, s.Content)
		switch {
		case err == nil:
			added++
		case !errors.Is(err, errTaken):
			return "", err
		}
	}
	return v.OrgBase() + "?examples=" + strconv.Itoa(added), nil
}

// errTaken says a document of that name exists already.
var errTaken = errors.New("the name is taken")

// createUnlessTaken creates a document of a collection (systems,
// attestations), answering errTaken when the name is in use.
func (v *view) createUnlessTaken(collection, name string, content []byte) error {
	_, err := v.send(http.MethodPost, v.API(collection), server.DocumentRequest{Name: name, Content: string(content), Note: "demarc example"}, "", nil)
	var ae *apiError
	if errors.As(err, &ae) && ae.Status == http.StatusConflict {
		return errTaken
	}
	return err
}
