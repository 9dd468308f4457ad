package server

import (
	"net/http"

	"github.com/demarc-io/demarc"
	"github.com/demarc-io/demarc/analyze"
	"github.com/demarc-io/demarc/render"
	"github.com/demarc-io/demarc/resolve"
)

const (
	apiPath = "/api/v1"
	orgPath = apiPath + "/orgs/{org}"
)

// documentBodyLimit admits a document of demarc.MaxDocumentSize bytes
// with room for its JSON escaping.
const documentBodyLimit = 2*demarc.MaxDocumentSize + 64<<10

// Query parameters shared by several routes.
var (
	pCursor    = param{name: "cursor", doc: "the next cursor of the previous page"}
	pLimit     = param{name: "limit", typ: "integer", doc: "items per page, at most 500 (default 50)"}
	pFramework = param{name: "framework", doc: "framework id (default: the system's first, else nist-800-53-r5)"}
	pVersion   = param{name: "version", typ: "integer", doc: "the system's version (default: the current one)"}
	pAsOf      = param{name: "as_of", typ: "date", doc: "judge attestations at this day (YYYY-MM-DD; default today)"}
	pFormat    = param{name: "format", enum: formatNames, doc: "output format (default json)"}
	pStruct    = param{name: "format", enum: []string{"json", "yaml"}, doc: "output format (default json)"}
	pFrom      = param{name: "from", typ: "integer", doc: "the older version (default: the one before to)"}
	pTo        = param{name: "to", typ: "integer", doc: "the newer version (default: the current one)"}
)

// routeTable declares every route of the API.
func (s *Server) routeTable() []*route {
	rs := []*route{
		{method: "GET", path: "/healthz", id: "healthz", tag: "operations", sum: "Report that the process is up", public: true, resp: map[string]string{}, handle: s.healthz},
		{method: "GET", path: "/readyz", id: "readyz", tag: "operations", sum: "Report whether the store answers and the change feed runs", public: true, resp: map[string]string{}, handle: s.readyz},
		{method: "GET", path: "/metrics", id: "metrics", tag: "operations", sum: "Expose metrics in Prometheus's text format", public: true, media: []string{"text/plain"},
			handle: func(c *call) (*reply, error) { return s.metricsReply(), nil }},
		{method: "GET", path: "/openapi.json", id: "openapi", tag: "operations", sum: "Describe this API in OpenAPI 3.1", public: true, media: []string{"application/json"},
			handle: func(c *call) (*reply, error) { return raw(s.openapi, "application/json"), nil }},

		{method: "GET", path: "/auth/login", id: "login", tag: "sign-in", sum: "Sign in through the identity provider", public: true, status: http.StatusSeeOther,
			params: []param{{name: "return", doc: "local path to return to after signing in"}, {name: "org", doc: "organisation (slug) whose invitation to accept on first sign-in"}}, handle: s.login},
		{method: "GET", path: "/auth/callback", id: "callback", tag: "sign-in", sum: "Complete a sign-in (the identity provider's redirect)", public: true, status: http.StatusSeeOther,
			params: []param{{name: "code"}, {name: "state"}, {name: "error"}, {name: "error_description"}, {name: "iss"}, {name: "session_state"}}, handle: s.callback},
		{method: "POST", path: "/auth/logout", id: "logout", tag: "sign-in", sum: "Sign out", public: true, status: http.StatusNoContent,
			doc: "Ends the session cookie's session on the server, so that every replica refuses a copy of the cookie at once, and clears the cookie. " +
				"A live session must send its CSRF token in X-CSRF-Token. 503 means the sign-out could not be recorded and the session is still valid. " +
				"Without a live session the cookie is just cleared. API tokens are not sessions: revoke them with DELETE /api/v1/orgs/{org}/tokens/{token}.",
			params: []param{{name: "everywhere", typ: "boolean", doc: "end every session of the signed-in person, on every browser (default false)"}}, handle: s.logout},

		{method: "GET", path: apiPath + "/me", id: "me", tag: "identity", sum: "Say who the caller is and which organisations it belongs to", identified: true, resp: Me{}, handle: s.me},
		{method: "POST", path: apiPath + "/orgs", id: "createOrg", tag: "organisations", sum: "Create an organisation with the caller as its owner", identified: true,
			body: OrgRequest{}, status: http.StatusCreated, resp: OrgCreated{}, handle: s.createOrg},
		{method: "GET", path: orgPath, id: "getOrg", tag: "organisations", sum: "Read the organisation", roles: readers, resp: demarc.Org{}, handle: s.getOrg},
		{method: "PATCH", path: orgPath, id: "updateOrg", tag: "organisations", sum: "Rename the organisation", roles: owners, ifMatch: true, body: OrgPatch{}, resp: demarc.Org{}, handle: s.updateOrg},

		{method: "GET", path: orgPath + "/members", id: "listMembers", tag: "members", sum: "List members", roles: readers, params: []param{pCursor, pLimit}, resp: List[demarc.Member]{}, handle: s.listMembers},
		{method: "POST", path: orgPath + "/members", id: "addMember", tag: "members", sum: "Add a member", roles: admins, body: demarc.MemberInput{}, status: http.StatusCreated, resp: demarc.Member{}, handle: s.addMember},
		{method: "GET", path: orgPath + "/members/{member}", id: "getMember", tag: "members", sum: "Read a member", roles: readers, resp: demarc.Member{}, handle: s.getMember},
		{method: "PATCH", path: orgPath + "/members/{member}", id: "updateMember", tag: "members", sum: "Change a member's details or role", roles: admins, ifMatch: true, body: MemberPatch{}, resp: demarc.Member{}, handle: s.updateMember},
		{method: "DELETE", path: orgPath + "/members/{member}", id: "removeMember", tag: "members", sum: "Remove a member and its tokens", roles: admins, ifMatch: true, status: http.StatusNoContent, handle: s.removeMember},

		{method: "GET", path: orgPath + "/tokens", id: "listTokens", tag: "tokens", sum: "List API tokens (members see their own)", roles: readers, params: []param{{name: "member", doc: "only this member's tokens"}, pCursor, pLimit}, resp: List[demarc.Token]{}, handle: s.listTokens},
		{method: "POST", path: orgPath + "/tokens", id: "createToken", tag: "tokens", sum: "Make an API token; its secret is shown once", roles: readers, body: TokenRequest{}, status: http.StatusCreated, resp: NewToken{}, handle: s.createToken},
		{method: "GET", path: orgPath + "/tokens/{token}", id: "getToken", tag: "tokens", sum: "Read an API token's record", roles: readers, resp: demarc.Token{}, handle: s.getToken},
		{method: "DELETE", path: orgPath + "/tokens/{token}", id: "revokeToken", tag: "tokens", sum: "Revoke an API token", roles: readers, ifMatch: true, status: http.StatusNoContent, handle: s.revokeToken},
	}
	for _, k := range docKinds {
		base := orgPath + "/" + k.path
		rs = append(rs,
			&route{method: "GET", path: base, id: "list-" + k.path, tag: k.path, sum: "List " + k.one + "s", roles: readers,
				params: []param{{name: "deleted", typ: "boolean", doc: "list deleted documents instead"}, pCursor, pLimit}, resp: List[demarc.Document]{}, handle: s.listDocuments(k.kind)},
			&route{method: "POST", path: base, id: "create-" + k.path, tag: k.path, sum: "Create a " + k.one, roles: editors, body: DocumentRequest{}, bodyLimit: documentBodyLimit,
				status: http.StatusCreated, resp: DocumentView{}, handle: s.createDocument(k.kind)},
			&route{method: "GET", path: base + "/{id}", id: "get-" + k.path, tag: k.path, sum: "Read a " + k.one + " with its content", roles: readers, resp: DocumentView{}, handle: s.getDocument(k.kind)},
			&route{method: "PUT", path: base + "/{id}", id: "update-" + k.path, tag: k.path, sum: "Store a new version of a " + k.one, roles: editors, ifMatch: true, body: DocumentRequest{},
				bodyLimit: documentBodyLimit, resp: DocumentView{}, handle: s.updateDocument(k.kind)},
			&route{method: "DELETE", path: base + "/{id}", id: "delete-" + k.path, tag: k.path, sum: "Delete a " + k.one + " (its versions stay readable)", roles: editors, ifMatch: true,
				status: http.StatusNoContent, handle: s.deleteDocument(k.kind)},
			&route{method: "GET", path: base + "/{id}/versions", id: "versions-" + k.path, tag: k.path, sum: "List a " + k.one + "'s versions", roles: readers, params: []param{pCursor, pLimit},
				resp: List[demarc.Revision]{}, handle: s.listVersions(k.kind)},
			&route{method: "GET", path: base + "/{id}/versions/{version}", id: "version-" + k.path, tag: k.path, sum: "Read one version of a " + k.one, roles: readers,
				resp: RevisionView{}, handle: s.getVersion(k.kind)},
		)
	}
	sys := orgPath + "/systems/{id}"
	analysis := []param{pFramework, pVersion, pAsOf}
	rs = append(rs,
		&route{method: "GET", path: sys + "/diff", id: "diffSystem", tag: "analysis", sum: "Say what moves between parties from one version of a system to another", roles: readers,
			params: []param{pFrom, pTo, pFramework}, resp: VersionDiff{}, handle: s.diff},
		&route{method: "GET", path: sys + "/matrix", id: "matrix", tag: "analysis", sum: "Compute who is responsible for every control of a framework", roles: readers,
			params: []param{pFramework, pVersion, {name: "owner", doc: "only controls with this owner"}, {name: "family", doc: "only controls of this family"}, pFormat},
			resp:   demarc.Matrix{}, media: []string{"application/yaml", "text/csv", "text/markdown", "text/plain"}, handle: s.matrix},
		&route{method: "GET", path: sys + "/explain/{target}", id: "explain", tag: "analysis", sum: "Explain why a control or an area is owned as it is", roles: readers,
			params: []param{pFramework, pVersion, {name: "format", enum: []string{"json", "yaml", "markdown", "table"}, doc: "output format (default json)"}},
			resp:   resolve.Explanation{}, media: []string{"application/yaml", "text/markdown", "text/plain"}, handle: s.explain},
		&route{method: "GET", path: sys + "/gaps", id: "gaps", tag: "analysis", sum: "Find where nobody, or the wrong party, is responsible", roles: readers,
			params: append(append([]param{}, analysis...), param{name: "kind", doc: "only gaps of this kind"}, param{name: "severity", enum: []string{"low", "medium", "high"}, doc: "only gaps at or above"}, pFormat),
			resp:   render.GapReport{}, media: []string{"application/yaml", "text/csv", "text/markdown", "text/plain"}, handle: s.gaps},
		&route{method: "GET", path: sys + "/incidents", id: "incidents", tag: "analysis", sum: "Say who investigates, remediates and communicates each kind of incident", roles: readers,
			params: append(append([]param{}, analysis...), param{name: "type", doc: "only this incident type"}, pStruct), resp: IncidentReport{}, media: []string{"application/yaml"}, handle: s.incidents},
		&route{method: "GET", path: sys + "/telemetry", id: "telemetry", tag: "analysis", sum: "Say how each monitoring duty can be observed", roles: readers,
			params: append(append([]param{}, analysis...), param{name: "coverage", enum: []string{string(analyze.CoveredByDefault), string(analyze.NeedsEnabling), string(analyze.CustomerCollection), string(analyze.NotObservable)}, doc: "only duties with this coverage"}, pStruct),
			resp:   analyze.TelemetryReport{}, media: []string{"application/yaml"}, handle: s.telemetry},
		&route{method: "GET", path: sys + "/risk", id: "risk", tag: "analysis", sum: "Score every gap as a risk, split into provider- and customer-managed", roles: readers,
			params: append(append([]param{}, analysis...), pStruct), resp: analyze.RiskReport{}, media: []string{"application/yaml"}, handle: s.risk},
		&route{method: "GET", path: sys + "/exports/oscal-ssp", id: "exportOSCALSSP", tag: "exports", sum: "Export the system security plan in OSCAL", roles: readers,
			params: []param{pFramework, pVersion, {name: "profile", doc: "href of the profile the plan implements"}, {name: "status", enum: []string{"operational", "under-development", "under-major-modification", "disposition", "other"}, doc: "the system's state"},
				{name: "customer_implemented", typ: "boolean", doc: "mark the customer's parts implemented"}, {name: "as_of", typ: "date", doc: "last-modified stamp (default today)"}},
			media: []string{"application/json"}, handle: s.exportSSP},
		&route{method: "GET", path: sys + "/exports/fedramp-crm", id: "exportFedRAMP", tag: "exports", sum: "Export FedRAMP's control implementation summary and customer responsibility matrix", roles: readers,
			params: []param{pVersion, {name: "baseline", enum: []string{"low", "moderate", "high", "li-saas"}, doc: "FedRAMP Rev 5 baseline (required)"}, {name: "format", enum: []string{"xlsx", "csv", "json"}, doc: "output format (default xlsx)"},
				{name: "date", typ: "date", doc: "the workbook's date"}, {name: "whole_controls", typ: "boolean", doc: "one row per control, not per part"}},
			media: []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "text/csv", "application/json"}, handle: s.exportFedRAMP},
		&route{method: "GET", path: sys + "/exports/report", id: "exportReport", tag: "exports", sum: "Export a self-contained HTML report for auditors and the board", roles: readers,
			params: analysis, media: []string{"text/html"}, handle: s.exportReport},
		&route{method: "GET", path: sys + "/exports/matrix-xlsx", id: "exportMatrixXLSX", tag: "exports", sum: "Export the matrix as a workbook, one sheet per framework", roles: readers,
			params: []param{{name: "framework", doc: "framework ids separated by commas (default: the system's)"}, pVersion, {name: "owner"}, {name: "family"}},
			media:  []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}, handle: s.exportWorkbook},
		&route{method: "POST", path: sys + "/signoffs", id: "requestSignoff", tag: "sign-offs", sum: "Ask the parties to sign the system's current matrix off", roles: editors,
			body: SignoffRequest{}, status: http.StatusCreated, resp: SignoffView{}, handle: s.requestSignoff},
		&route{method: "POST", path: orgPath + "/providers/{id}/publish", id: "publish", tag: "publications", sum: "Publish a version of a provider statement to every organisation", roles: admins,
			body: PublishRequest{}, status: http.StatusCreated, resp: Published{}, handle: s.publish},

		&route{method: "GET", path: orgPath + "/library/{kind}", id: "listLibrary", tag: "library", sum: "List the library's providers, services, frameworks, areas or models", roles: readers,
			params: []param{{name: "provider", doc: "services of this provider only"}, {name: "model", doc: "services of this model only"}}, resp: List[LibraryItem]{}, handle: s.libraryList},
		&route{method: "GET", path: orgPath + "/library/entries/{id...}", id: "getLibraryEntry", tag: "library", sum: "Read one provider, service, framework, area or model in full", roles: readers,
			resp: LibraryEntry{}, handle: s.libraryEntry},

		&route{method: "GET", path: orgPath + "/publications", id: "listPublications", tag: "publications", sum: "List the publications the organisation may see", roles: readers,
			params: []param{{name: "owner", doc: "publisher (organisation id or slug)"}, pCursor, pLimit}, resp: List[demarc.Publication]{}, handle: s.listPublications},
		&route{method: "GET", path: orgPath + "/publications/{pub}", id: "getPublication", tag: "publications", sum: "Read a publication", roles: readers, resp: demarc.Publication{}, handle: s.getPublication},
		&route{method: "DELETE", path: orgPath + "/publications/{pub}", id: "withdraw", tag: "publications", sum: "Withdraw a publication", roles: admins, ifMatch: true, status: http.StatusNoContent, handle: s.withdraw},
		&route{method: "GET", path: orgPath + "/publications/{pub}/versions", id: "publicationVersions", tag: "publications", sum: "List every version a publication offered", roles: readers,
			resp: List[demarc.PublishedVersion]{}, handle: s.publicationVersions},
		&route{method: "GET", path: orgPath + "/publications/{pub}/versions/{version}", id: "publicationVersion", tag: "publications", sum: "Read a published version of a provider statement", roles: readers,
			resp: RevisionView{}, handle: s.publicationVersion},
		&route{method: "GET", path: orgPath + "/publications/{pub}/diff", id: "publicationDiff", tag: "publications", sum: "Say what moved between two published versions", roles: readers,
			params: []param{pFrom, pTo, {name: "framework", doc: "framework for control changes (default nist-800-53-r5)"}}, resp: StatementDiff{}, handle: s.publicationDiff},
		&route{method: "GET", path: orgPath + "/publications/{pub}/subscribers", id: "subscribers", tag: "publications", sum: "List the subscribers of an own publication", roles: readers,
			resp: List[demarc.Subscription]{}, handle: s.subscribers},

		&route{method: "GET", path: orgPath + "/subscriptions", id: "listSubscriptions", tag: "subscriptions", sum: "List the organisation's subscriptions", roles: readers, params: []param{pCursor, pLimit}, resp: List[demarc.Subscription]{}, handle: s.listSubscriptions},
		&route{method: "POST", path: orgPath + "/subscriptions", id: "subscribe", tag: "subscriptions", sum: "Subscribe to a publication and build systems on it", roles: admins,
			body: SubscribeRequest{}, status: http.StatusCreated, resp: demarc.Subscription{}, handle: s.subscribe},
		&route{method: "GET", path: orgPath + "/subscriptions/{sub}", id: "getSubscription", tag: "subscriptions", sum: "Read a subscription", roles: readers, resp: demarc.Subscription{}, handle: s.getSubscription},
		&route{method: "POST", path: orgPath + "/subscriptions/{sub}/acknowledge", id: "acknowledge", tag: "subscriptions", sum: "Record that the publisher's news was reviewed", roles: editors,
			body: AcknowledgeRequest{}, resp: demarc.Subscription{}, handle: s.acknowledge},
		&route{method: "DELETE", path: orgPath + "/subscriptions/{sub}", id: "unsubscribe", tag: "subscriptions", sum: "End a subscription", roles: admins, ifMatch: true, status: http.StatusNoContent, handle: s.unsubscribe},
		&route{method: "GET", path: orgPath + "/subscriptions/{sub}/changes", id: "subscriptionChanges", tag: "subscriptions", sum: "Say what moved since the version last acknowledged", roles: readers,
			params: []param{{name: "framework", doc: "framework for control changes (default nist-800-53-r5)"}}, resp: StatementDiff{}, handle: s.subscriptionChanges},

		&route{method: "GET", path: orgPath + "/signoffs", id: "listSignoffs", tag: "sign-offs", sum: "List the sign-offs the organisation is a party to", roles: readers,
			params: []param{{name: "system", doc: "only sign-offs of this system (document id)"}, pCursor, pLimit}, resp: List[SignoffView]{}, handle: s.listSignoffs},
		&route{method: "GET", path: orgPath + "/signoffs/{signoff}", id: "getSignoff", tag: "sign-offs", sum: "Read a sign-off and where it stands", roles: readers, resp: SignoffView{}, handle: s.getSignoff},
		&route{method: "GET", path: orgPath + "/signoffs/{signoff}/matrix", id: "signoffMatrix", tag: "sign-offs", sum: "Read the matrix a sign-off is about, byte for byte", roles: readers,
			resp: demarc.Matrix{}, handle: s.signoffMatrix},
		&route{method: "POST", path: orgPath + "/signoffs/{signoff}/sign", id: "sign", tag: "sign-offs", sum: "Sign a matrix off for the organisation", roles: signers,
			body: SignRequest{}, resp: SignoffView{}, handle: s.sign},

		&route{method: "GET", path: orgPath + "/audit/events", id: "auditEvents", tag: "audit", sum: "List the audit trail", roles: auditors,
			params: []param{{name: "after", typ: "integer", doc: "events after this sequence number"}, pLimit, {name: "action", doc: "only this action"}, {name: "object", doc: "only this object, e.g. document/doc_…"}},
			resp:   List[demarc.Event]{}, handle: s.events},
		&route{method: "GET", path: orgPath + "/audit/verify", id: "auditVerify", tag: "audit", sum: "Verify the hash chain of the audit trail", roles: auditors, resp: Verification{}, handle: s.verify},
	)
	rs = append(rs, s.insightRoutes()...)
	rs = append(rs, s.transferRoutes()...)
	return rs
}

func (s *Server) metricsReply() *reply {
	var b bytesWriter
	s.metrics.write(&b)
	rp := raw(b, "text/plain; version=0.0.4; charset=utf-8")
	rp.noETag = true
	return rp
}

// bytesWriter collects writes.
type bytesWriter []byte

func (b *bytesWriter) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}
