package main

import (
	"net/http"
	"slices"
	"strings"
)

// An api is the family a route belongs to, which decides its error shape.
type api uint8

const (
	apiV1  api = iota // hashshare's own: {"error": …}
	apiHMA            // HMA 2.0's: {"message": …}
)

// apiOfPath returns the API a path belongs to: /v1, /healthz and /metrics
// are hashshare's, the rest HMA's.
func apiOfPath(p string) api {
	if strings.HasPrefix(p, "/v1/") || p == "/healthz" || p == "/metrics" {
		return apiV1
	}
	return apiHMA
}

// roleAnyToken is a route's role when any valid token may call it.
const roleAnyToken = "*"

// A route is one method and path, the role a caller needs for it ("" for
// none: the liveness probes), and its handler.
type route struct {
	method, path string // path in http.ServeMux syntax
	role         string
	handler      http.HandlerFunc
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routes is the server's route table: every route is here, so that the
// mux, /site-map and the tests' auth matrix all come from it.
func (s *server) routes() []route {
	rs := []route{
		// Status: open, as load balancers and orchestrators call them.
		{"GET", "/status", "", s.handleStatus},
		{"GET", "/status/live", "", s.handleStatusLive},
		{"GET", "/site-map", "", s.handleSiteMap},
		{"GET", "/healthz", "", s.handleHealth},

		// HMA hashing and matching.
		{"GET", "/h/hash", roleHash, s.handleHMAHashURL},
		{"POST", "/h/hash", roleHash, s.handleHMAHashPost},
		{"GET", "/m/lookup", roleMatch, s.handleLookupGet},
		{"POST", "/m/lookup", roleMatch, s.handleLookupPost},
		{"GET", "/m/raw_lookup", roleMatch, s.handleRawLookup},
		{"POST", "/m/compare", roleMatch, s.handleCompare},
		{"GET", "/m/index/status", roleMatch, s.handleIndexStatus},
		{"GET", "/c/signal_type", roleMatch, s.handleSignalTypes},
		{"GET", "/c/content_type", roleMatch, s.handleContentTypes},

		// HMA curation.
		{"GET", "/c/banks", roleCurate, s.handleBanks},
		{"POST", "/c/banks", roleCurate, s.handleBankCreate},
		{"GET", "/c/bank/{bank_name}", roleCurate, s.handleBankGet},
		{"PUT", "/c/bank/{bank_name}", roleCurate, s.handleBankUpdate},
		{"DELETE", "/c/bank/{bank_name}", roleCurate, s.handleBankDelete},
		{"POST", "/c/bank/{bank_name}/signal", roleCurate, s.handleBankAddSignals},
		{"POST", "/c/bank/{bank_name}/content", roleCurate, s.handleBankAddMedia},
		{"GET", "/c/bank/{bank_name}/content/{content_id}", roleCurate, s.handleContentGet},
		{"PUT", "/c/bank/{bank_name}/content/{content_id}", roleCurate, s.handleContentUpdate},
		{"DELETE", "/c/bank/{bank_name}/content/{content_id}", roleCurate, s.handleContentDelete},

		// HMA exchanges: configured here, fetched on a schedule.
		{"GET", "/c/exchanges", roleExchange, s.handleExchanges},
		{"POST", "/c/exchanges", roleExchange, s.handleExchangeCreate},
		{"GET", "/c/exchanges/apis", roleExchange, s.handleExchangeAPIs},
		{"GET", "/c/exchanges/api/{api_name}", roleExchange, s.handleExchangeAPI},
		{"POST", "/c/exchanges/api/{api_name}", roleExchange, s.handleExchangeAPI},
		{"GET", "/c/exchanges/api/{api_name}/schema", roleExchange, s.handleExchangeSchema},
		{"GET", "/c/exchange/{exchange_name}", roleExchange, s.handleExchangeGet},
		{"PUT", "/c/exchange/{exchange_name}", roleExchange, s.handleExchangeUpdate},
		{"DELETE", "/c/exchange/{exchange_name}", roleExchange, s.handleExchangeDelete},
		{"GET", "/c/exchange/{exchange_name}/status", roleExchange, s.handleExchangeStatus},

		// hashshare's own API.
		{"POST", "/v1/hash", roleHash, s.handleHash},
		{"POST", "/v1/match", roleMatch, s.handleMatch},
		{"GET", "/v1/items/{source}/{id...}", roleCurate, s.handleItem},
		{"GET", "/v1/stats", roleCurate, s.handleStats},
		{"POST", "/v1/bundles", roleExchange, s.handleImport},
		{"GET", "/v1/bundles", roleExchange, s.handleExport},
	}
	if !s.cfg.MetricsApart {
		rs = append(rs, route{"GET", "/metrics", roleAnyToken, s.metrics.handler().ServeHTTP})
	}
	return rs
}

// flaskRule writes a path as Flask writes its rules, with HMA's
// converters: "/c/bank/<bank_name>/content/<int:content_id>".
var flaskRule = strings.NewReplacer("{content_id}", "<int:content_id>", "{exchange_name}", "<string:exchange_name>",
	"{api_name}", "<string:api_name>", "{id...}", "<path:id>", "{", "<", "}", ">")

// siteMap returns the route paths as Flask rules, sorted.
func (s *server) siteMap() []string {
	var out []string
	for _, rt := range s.routes() {
		p := flaskRule.Replace(rt.path)
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
