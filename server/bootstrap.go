package server

import (
	"context"

	"github.com/demarc-io/demarc"
)

// BootstrapOptions describe the first organisation of an empty store.
type BootstrapOptions struct {
	Slug       string // default "default"
	Name       string // default "Default organisation"
	OwnerEmail string // default "owner@localhost"
	OwnerName  string // default "Owner"
}

// Bootstrapped is what Bootstrap made: the organisation, its owner, and
// the owner's first API token, whose secret exists nowhere else.
type Bootstrapped struct {
	Org    *demarc.Org
	Owner  *demarc.Member
	Token  *demarc.Token
	Secret string
}

// Bootstrap makes the first organisation, its owner and an owner token
// when the store has no organisation; orgs lists the organisations. It
// returns nil, nil when the store is not empty — or when another replica
// starting at the same moment got there first (the slug is taken).
func Bootstrap(ctx context.Context, st demarc.Store, orgs func(context.Context) ([]demarc.OrgID, error), o BootstrapOptions) (*Bootstrapped, error) {
	existing, err := orgs(ctx)
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	if o.Slug == "" {
		o.Slug = "default"
	}
	if o.Name == "" {
		o.Name = "Default organisation"
	}
	if o.OwnerEmail == "" {
		o.OwnerEmail = "owner@localhost"
	}
	if o.OwnerName == "" {
		o.OwnerName = "Owner"
	}
	org, owner, err := st.CreateOrg(ctx, demarc.Actor{}, demarc.OrgInput{Slug: o.Slug, Name: o.Name},
		demarc.MemberInput{Email: o.OwnerEmail, Name: o.OwnerName, Role: demarc.RoleOwner})
	if demarc.ErrorCode(err) == demarc.EConflict {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	secret, hash, hint, err := demarc.NewToken()
	if err != nil {
		return nil, err
	}
	tok, err := st.CreateToken(ctx, demarc.Actor{Member: owner.ID}, org.ID, demarc.TokenInput{Member: owner.ID, Name: "bootstrap", Hash: hash, Hint: hint})
	if err != nil {
		return nil, err
	}
	return &Bootstrapped{Org: org, Owner: owner, Token: tok, Secret: secret}, nil
}
