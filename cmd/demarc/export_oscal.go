package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal/ssp"
	"github.com/demarc-io/demarc/resolve"
)

func init() {
	exportCommands = append(exportCommands, (*app).exportOSCALSSPCommand, (*app).exportOSCALComponentDefinitionCommand, (*app).exportOSCALResponsibilityCommand)
}

// oscalStampFlag is --as-of for OSCAL documents: the last-modified stamp.
type oscalStampFlag struct{ asOf string }

func (f *oscalStampFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.asOf, "as-of", "", "stamp the document's last-modified with `TIME` (YYYY-MM-DD or RFC 3339; default now), for reproducible output")
}

func (f *oscalStampFlag) options() (ssp.Options, error) {
	if f.asOf == "" {
		return ssp.Options{}, nil
	}
	if d, err := demarc.ParseDate(f.asOf); err == nil {
		return ssp.Options{LastModified: d.Time}, nil
	}
	t, err := time.Parse(time.RFC3339, f.asOf)
	if err != nil {
		return ssp.Options{}, usageError{fmt.Errorf("--as-of: %q is neither a date (YYYY-MM-DD) nor a time (RFC 3339, such as 2026-11-25T09:30:00Z)", f.asOf)}
	}
	return ssp.Options{LastModified: t}, nil
}

func (a *app) exportOSCALSSPCommand() *cobra.Command {
	var system, framework, profile, status string
	var registers []string
	var implemented bool
	var stamp oscalStampFlag
	cmd := &cobra.Command{
		Use:   "oscal-ssp --system FILE [--framework ID]",
		Short: "The system's security plan in OSCAL: what it inherits from each provider service, what its teams do",
		Long: `Write the system's security plan as OSCAL ` + ssp.OSCALVersion + ` JSON, valid against NIST's schema.

Each provider service the system uses is a leveraged component
(implementation-point external) with a leveraged authorization per
provider; the system's own components are internal. Every control of the
framework that is not withdrawn gets by-components: "inherited" entries for
what the provider does and "satisfied" entries for what the customer does in
answer to the provider's statement, with the teams responsible (RACI) as
responsible roles. Each requirement carries FedRAMP's control-origination
(inherited, sp-system, sp-corporate; independent sharing is never
inherited), an implementation status, and demarc's owner and sharing.

The customer's parts are "planned" unless --customer-implemented: demarc
assigns the work, it does not see it done. UUIDs are derived from names, so
with --as-of the output is byte-for-byte reproducible, and provided-uuid and
responsibility-uuid match 'demarc export oscal-responsibility' of each
service.`,
		Example: `  demarc export oscal-ssp --system examples/gcp-kubernetes-platform.yaml -o gke-ssp.json
  demarc export oscal-ssp --system examples/serverless-webshop.yaml --framework nist-800-53-r5 --as-of 2026-11-25`,
		Args:        exactArgs(0, "no arguments"),
		Annotations: worksOnServer(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := stamp.options()
			if err != nil {
				return err
			}
			rc, err := a.remote()
			if err != nil {
				return err
			}
			if rc != nil {
				return a.remoteSSP(cmd.Context(), rc, system, framework, profile, status, stamp.asOf, implemented, registers)
			}
			opts.Profile, opts.Status, opts.CustomerImplemented = profile, status, implemented
			res, fw, err := a.resolveSystem(system, framework, registers)
			if err != nil {
				return err
			}
			doc, err := ssp.Export(res, fw, opts)
			if err != nil {
				return err
			}
			return ssp.Write(a.stdout, doc)
		},
	}
	cmd.Flags().StringVarP(&system, "system", "s", "", systemFlagHelp)
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` (default: the system's first, else nist-800-53-r5)")
	cmd.Flags().StringVar(&profile, "profile", "", "`HREF` of the OSCAL profile the plan implements, e.g. a FedRAMP baseline (default: the framework's catalog)")
	cmd.Flags().StringVar(&status, "status", "", "the system's `STATE`: operational (default), under-development, under-major-modification, disposition, other")
	cmd.Flags().BoolVar(&implemented, "customer-implemented", false, "mark the customer's parts implemented rather than planned")
	cmd.Flags().StringArrayVar(&registers, "attestations", nil, "extra attestation register `FILE`, whose FedRAMP authorizations date the leveraged authorizations; repeatable")
	stamp.register(cmd)
	_ = cmd.MarkFlagRequired("system") // the flag exists: the error cannot occur
	return cmd
}

func (a *app) exportOSCALComponentDefinitionCommand() *cobra.Command {
	var services, frameworks []string
	var provider string
	var stamp oscalStampFlag
	cmd := &cobra.Command{
		Use:   "oscal-component-definition (--service ID... | --provider ID) [--framework ID...]",
		Short: "Providers' statements as an OSCAL component definition",
		Long: `Write library services as an OSCAL ` + ssp.OSCALVersion + ` component definition: one component per
service, with one control implementation per framework whose implemented
requirements say, in words, what the provider does and what the customer
does. A component definition has no export assembly, so responsibility
travels as properties: demarc's owner (provider, customer, shared,
third-party, not-applicable) and sharing, the areas, and FedRAMP's
control-origination seen from the provider's side.

Frameworks default to every framework in the library; a whole provider in
every framework is large (tens of megabytes per ten services), so name the
frameworks you need with --framework.`,
		Example: `  demarc export oscal-component-definition --service aws/rds
  demarc export oscal-component-definition --provider gcp --framework nist-800-53-r5 -o gcp-components.json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := stamp.options()
			if err != nil {
				return err
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			svcs, err := oscalServices(lib, services, provider)
			if err != nil {
				return err
			}
			fws, err := ssp.LookupFrameworks(lib, frameworks)
			if err != nil {
				return err
			}
			doc, err := ssp.ComponentDefinition(resolve.New(lib), svcs, fws, opts)
			if err != nil {
				return err
			}
			return ssp.Write(a.stdout, doc)
		},
	}
	cmd.Flags().StringArrayVar(&services, "service", nil, "service `ID`, such as aws/rds; repeatable")
	cmd.Flags().StringVar(&provider, "provider", "", "every service of provider `ID`, such as gcp")
	cmd.Flags().StringArrayVarP(&frameworks, "framework", "f", nil, "framework `ID`; repeatable (default: every framework)")
	stamp.register(cmd)
	return cmd
}

func (a *app) exportOSCALResponsibilityCommand() *cobra.Command {
	var service, framework string
	var stamp oscalStampFlag
	cmd := &cobra.Command{
		Use:   "oscal-responsibility --service ID [--framework ID]",
		Short: "A service as its provider's leveraged plan: what it provides, what it leaves to customers",
		Long: `Write one library service as its provider's leveraged system: a minimal
OSCAL ` + ssp.OSCALVersion + ` security plan whose by-components export, for each control, what the
provider provides ("provided") and what it leaves to the customers who
leverage it ("responsibilities"), so that a customer's plan can inherit
from it. Every statement names its responsibility area in a property;
'demarc import oscal-ssp' reads the document back to the same owner for
every area.

The framework defaults to nist-800-53-r5.`,
		Example: `  demarc export oscal-responsibility --service aws/lambda -o lambda-leveraged.json
  demarc import oscal-ssp lambda-leveraged.json -o lambda.yaml`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := stamp.options()
			if err != nil {
				return err
			}
			lib, err := a.library()
			if err != nil {
				return err
			}
			svcs, err := oscalServices(lib, []string{service}, "")
			if err != nil {
				return err
			}
			if framework == "" {
				framework = defaultFramework
			}
			fws, err := ssp.LookupFrameworks(lib, []string{framework})
			if err != nil {
				return err
			}
			doc, err := ssp.Leveraged(resolve.New(lib), svcs[0], fws[0], opts)
			if err != nil {
				return err
			}
			return ssp.Write(a.stdout, doc)
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "service `ID`, such as aws/lambda")
	cmd.Flags().StringVarP(&framework, "framework", "f", "", "framework `ID` (default nist-800-53-r5)")
	stamp.register(cmd)
	_ = cmd.MarkFlagRequired("service") // the flag exists: the error cannot occur
	return cmd
}

// oscalServices finds services by id, or every service of a provider.
func oscalServices(lib *library.Library, ids []string, provider string) ([]*demarc.Service, error) {
	switch {
	case len(ids) == 0 && provider == "":
		return nil, usageError{errors.New("name services with --service ID or a provider with --provider ID")}
	case len(ids) > 0 && provider != "":
		return nil, usageError{errors.New("--service and --provider exclude each other")}
	}
	return ssp.LookupServices(lib, ids, provider)
}
