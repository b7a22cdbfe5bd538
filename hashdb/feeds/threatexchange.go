package feeds

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// ThreatExchangeBase is the Graph API base pytx uses.
const ThreatExchangeBase = "https://graph.facebook.com/v21.0"

// threatExchangeStale is how long a threat_updates checkpoint stays good:
// ThreatExchange keeps deletes for 90 days, pytx refetches after 85.
const threatExchangeStale = 85 * 24 * time.Hour

// threatUpdatesFields are the fields pytx asks threat_updates for.
const threatUpdatesFields = "id,indicator,type,last_updated,should_delete,descriptors{reactions,my_reactions,owner{id},tags,status,added_on}"

// descriptorFields are the fields pytx asks a descriptor lookup for.
const descriptorFields = "raw_indicator,type,added_on,last_updated,confidence,owner,privacy_type,review_status,status,severity,share_level,tags,description,reactions,my_reactions"

// ThreatExchange is a client of Meta's ThreatExchange Graph API for one
// privacy group: its threat_updates, descriptor lookups, the privacy
// groups an app belongs to, and reactions.
type ThreatExchange struct {
	// AccessToken is "<app id>|<secret>", sent as access_token.
	AccessToken string
	// PrivacyGroup is the group whose threat_updates are fetched.
	PrivacyGroup string
	// BaseURL replaces [ThreatExchangeBase].
	BaseURL string
	// PageSize is threat_updates' limit: 1 to 1000, default 500.
	PageSize int
	// Transport is how requests are sent.
	Transport Transport
}

// API returns "threatexchange".
func (t *ThreatExchange) API() string { return "threatexchange" }

// Collab returns the privacy group.
func (t *ThreatExchange) Collab() string { return t.PrivacyGroup }

func (t *ThreatExchange) format() lists.Format { return lists.ThreatExchange }

func (t *ThreatExchange) base() string { return orBase(t.BaseURL, ThreatExchangeBase) }

func (t *ThreatExchange) stale(st *hashdb.FeedState, now time.Time) bool {
	return st.Checkpoint != "" && now.Sub(st.Advanced) > threatExchangeStale
}

func (t *ThreatExchange) since(st *hashdb.FeedState, at time.Time) {
	st.Checkpoint = strconv.FormatInt(at.Unix(), 10)
}

// get sends a GET of u with the access token added to its query.
func (t *ThreatExchange) get(ctx context.Context, u string) ([]byte, error) {
	if t.AccessToken == "" {
		return nil, fmt.Errorf("%w: ThreatExchange needs access_token", ErrCredentials)
	}
	p, err := url.Parse(u)
	if err != nil {
		return nil, fmt.Errorf("%w: URL does not parse", ErrProtocol)
	}
	q := p.Query()
	q.Set("access_token", t.AccessToken)
	p.RawQuery = q.Encode()
	return t.Transport.do(ctx, &request{method: http.MethodGet, url: p.String(), secrets: []string{t.AccessToken}})
}

// withoutToken is u without an access_token, so that a stored cursor
// holds no credential.
func withoutToken(u string) (string, error) {
	p, err := url.Parse(u)
	if err != nil {
		return "", fmt.Errorf("%w: next page URL does not parse", ErrProtocol)
	}
	q := p.Query()
	q.Del("access_token")
	p.RawQuery = q.Encode()
	return p.String(), nil
}

// tePage is the paging part of a threat_updates page, and each record's
// last_updated.
type tePage struct {
	Data []struct {
		LastUpdated json.RawMessage `json:"last_updated"`
	} `json:"data"`
	Paging struct {
		Next string `json:"next"`
	} `json:"paging"`
}

func parseTEPage(body []byte) (tePage, error) {
	var p tePage
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("%w: ThreatExchange page: %v", ErrProtocol, err)
	}
	return p, nil
}

// teTime reads a last_updated: unix seconds as a number or a string, or
// an ISO 8601 time; 0 if it is none of them or before 1970.
func teTime(raw json.RawMessage) int64 {
	s := strings.Trim(string(bytes.TrimSpace(raw)), `"`)
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e12 {
		return int64(f)
	}
	for _, layout := range []string{"2006-01-02T15:04:05-0700", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil && t.Unix() > 0 {
			return t.Unix()
		}
	}
	return 0
}

func (t *ThreatExchange) page(ctx context.Context, st *hashdb.FeedState, _ time.Time) ([]byte, bool, error) {
	if t.PrivacyGroup == "" {
		return nil, false, fmt.Errorf("%w: ThreatExchange needs a privacy group (--collab)", ErrCredentials)
	}
	u := st.Cursor
	if u != "" {
		// A cursor stored under another base URL is not followed: the
		// token would go there.
		if _, err := sameHost(t.base(), u); err != nil {
			u = ""
		}
	}
	if u == "" {
		q := url.Values{"fields": {threatUpdatesFields}, "limit": {strconv.Itoa(clamp(t.PageSize, 500, 1000))}}
		if st.Checkpoint != "" {
			q.Set("start_time", st.Checkpoint)
		}
		u = t.base() + "/" + url.PathEscape(t.PrivacyGroup) + "/threat_updates?" + q.Encode()
		st.Mark = st.Checkpoint
	}
	body, err := t.get(ctx, u)
	if err != nil {
		return nil, false, err
	}
	p, err := parseTEPage(body)
	if err != nil {
		return nil, false, err
	}
	// Records come in no promised order: the largest last_updated is
	// trusted once the query is exhausted.
	mark, _ := strconv.ParseInt(st.Mark, 10, 64)
	for _, d := range p.Data {
		mark = max(mark, teTime(d.LastUpdated))
	}
	if mark > 0 {
		st.Mark = strconv.FormatInt(mark, 10)
	}
	if p.Paging.Next == "" {
		st.Cursor, st.Checkpoint, st.Mark = "", st.Mark, ""
		return body, true, nil
	}
	next, err := sameHost(t.base(), p.Paging.Next)
	if err == nil {
		next, err = withoutToken(next)
	}
	if err != nil {
		return nil, false, err
	}
	if next == u {
		return nil, false, fmt.Errorf("%w: ThreatExchange's next page is the page itself", ErrProtocol)
	}
	st.Cursor = next
	return body, false, nil
}

// A PrivacyGroup is a ThreatExchange privacy group.
type PrivacyGroup struct {
	ID                   string
	Name, Description    string
	MembersCanSee        bool
	MembersCanUse        bool
	ThreatUpdatesEnabled bool
}

// PrivacyGroups lists the privacy groups app is a member of (owner:
// those it owns), following the pages.
func (t *ThreatExchange) PrivacyGroups(ctx context.Context, app string, owner bool) ([]PrivacyGroup, error) {
	edge := "threat_privacy_groups_member"
	if owner {
		edge = "threat_privacy_groups_owner"
	}
	u := t.base() + "/" + url.PathEscape(app) + "/" + edge
	var out []PrivacyGroup
	for pages := 0; u != ""; pages++ {
		if pages > 1000 {
			return out, fmt.Errorf("%w: more than 1000 pages of privacy groups", ErrProtocol)
		}
		body, err := t.get(ctx, u)
		if err != nil {
			return out, err
		}
		groups, next, err := parsePrivacyGroups(body)
		if err != nil {
			return out, err
		}
		out = append(out, groups...)
		if u = ""; next != "" {
			if u, err = sameHost(t.base(), next); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

func parsePrivacyGroups(body []byte) ([]PrivacyGroup, string, error) {
	var a struct {
		Data []struct {
			ID                   json.RawMessage `json:"id"`
			Name                 string          `json:"name"`
			Description          string          `json:"description"`
			MembersCanSee        bool            `json:"members_can_see"`
			MembersCanUse        bool            `json:"members_can_use"`
			ThreatUpdatesEnabled bool            `json:"threat_updates_enabled"`
		} `json:"data"`
		Paging struct {
			Next string `json:"next"`
		} `json:"paging"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return nil, "", fmt.Errorf("%w: privacy groups: %v", ErrProtocol, err)
	}
	out := make([]PrivacyGroup, 0, len(a.Data))
	for _, d := range a.Data {
		out = append(out, PrivacyGroup{ID: strings.Trim(string(d.ID), `"`), Name: d.Name, Description: d.Description,
			MembersCanSee: d.MembersCanSee, MembersCanUse: d.MembersCanUse, ThreatUpdatesEnabled: d.ThreatUpdatesEnabled})
	}
	return out, a.Paging.Next, nil
}

// Descriptors looks the descriptors ids up and returns their records as
// hashdb/lists reads them (each descriptor an item keyed by its id, its
// owner's status and the reactions as opinions), to store with
// [lists.ReadBatch] and [hashdb.DB.Apply] or inspect.
func (t *ThreatExchange) Descriptors(ctx context.Context, ids []string) ([]lists.Record, error) {
	var out []lists.Record
	for len(ids) > 0 {
		n := min(len(ids), 50)
		q := url.Values{"ids": {strings.Join(ids[:n], ",")}, "fields": {descriptorFields}}
		ids = ids[n:]
		body, err := t.get(ctx, t.base()+"/?"+q.Encode())
		if err != nil {
			return out, err
		}
		r, err := lists.NewReader(bytes.NewReader(body), lists.ThreatExchange, nil)
		if err != nil {
			return out, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		for {
			rec, err := r.Next()
			if err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return out, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

// teReactions maps a verdict onto the reaction that says it.
var teReactions = map[hashdb.Verdict]string{
	hashdb.Confirmed:     "HELPFUL",
	hashdb.Disputed:      "DISAGREE_WITH_TAGS",
	hashdb.FalsePositive: "NON_MALICIOUS",
}

// report reacts to each descriptor of the indicator the item stands for
// (a threat_updates item's id is the indicator's) that another app
// owns, found by reading the indicator's descriptors as threat_updates
// expands them.
func (t *ThreatExchange) report(ctx context.Context, it *hashdb.Item, op *hashdb.Opinion) error {
	q := url.Values{"fields": {"descriptors{id,owner{id}}"}}
	body, err := t.get(ctx, t.base()+"/"+url.PathEscape(it.ID)+"?"+q.Encode())
	if err != nil {
		return err
	}
	var a struct {
		Descriptors struct {
			Data []struct {
				ID    json.RawMessage `json:"id"`
				Owner struct {
					ID json.RawMessage `json:"id"`
				} `json:"owner"`
			} `json:"data"`
		} `json:"descriptors"`
	}
	// The token is "<app id>|<secret>": the app does not react to its
	// own descriptors.
	app, _, _ := strings.Cut(t.AccessToken, "|")
	if err := json.Unmarshal(body, &a); err != nil {
		return fmt.Errorf("%w: descriptors of %s: %v", ErrProtocol, it.ID, err)
	}
	for _, d := range a.Descriptors.Data {
		id := strings.Trim(string(d.ID), `"`)
		if id == "" || strings.Trim(string(d.Owner.ID), `"`) == app {
			continue
		}
		form := url.Values{"reactions": {teReactions[op.Verdict]}, "access_token": {t.AccessToken}}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		if _, err := t.Transport.do(ctx, &request{method: http.MethodPost, url: t.base() + "/" + url.PathEscape(id), header: h,
			body: []byte(form.Encode()), secrets: []string{t.AccessToken}}); err != nil {
			return err
		}
	}
	return nil
}
