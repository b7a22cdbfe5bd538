package feeds

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/lists"
)

// StopNCIIBase is StopNCII's public API base.
const StopNCIIBase = "https://api.stopncii.org"

// stopNCIIStale is how long a StopNCII checkpoint stays good (pytx's
// rule).
const stopNCIIStale = 30 * 24 * time.Hour

// StopNCII is a client of StopNCII's FetchHashes and SubmitFeedback.
// Withdrawn and deleted hashes are deletes.
type StopNCII struct {
	// SubscriptionKey and FunctionKey are sent as the
	// Ocp-Apim-Subscription-Key and x-functions-key headers.
	SubscriptionKey, FunctionKey string
	// BaseURL replaces [StopNCIIBase] (a test server, a mirror).
	BaseURL string
	// PageSize is the records asked for a page: 1 to 1000, default 800.
	PageSize int
	// Transport is how requests are sent.
	Transport Transport
}

// API returns "stopncii".
func (s *StopNCII) API() string { return "stopncii" }

// Collab returns "": StopNCII has one list.
func (s *StopNCII) Collab() string { return "" }

func (s *StopNCII) format() lists.Format { return lists.StopNCII }

func (s *StopNCII) base() string { return orBase(s.BaseURL, StopNCIIBase) }

func (s *StopNCII) stale(st *hashdb.FeedState, now time.Time) bool {
	return st.Checkpoint != "" && now.Sub(st.Advanced) > stopNCIIStale
}

func (s *StopNCII) since(st *hashdb.FeedState, t time.Time) {
	st.Checkpoint = strconv.FormatInt(t.Unix(), 10)
}

func (s *StopNCII) request(method, u string, body []byte) (*request, error) {
	if s.SubscriptionKey == "" || s.FunctionKey == "" {
		return nil, fmt.Errorf("%w: StopNCII needs subscription_key and fetch_function_key", ErrCredentials)
	}
	h := http.Header{}
	h.Set("Ocp-Apim-Subscription-Key", s.SubscriptionKey)
	h.Set("x-functions-key", s.FunctionKey)
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	return &request{method: method, url: u, header: h, body: body, secrets: []string{s.SubscriptionKey, s.FunctionKey}}, nil
}

// stopNCIIPage is the paging part of a FetchHashes answer.
type stopNCIIPage struct {
	NextPageToken    *string `json:"nextPageToken"`
	NextSetTimestamp *int64  `json:"nextSetTimestamp"`
	HasMoreRecords   bool    `json:"hasMoreRecords"`
}

func parseStopNCIIPage(body []byte) (stopNCIIPage, error) {
	var p stopNCIIPage
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("%w: StopNCII answer: %v", ErrProtocol, err)
	}
	return p, nil
}

func (s *StopNCII) page(ctx context.Context, st *hashdb.FeedState, _ time.Time) ([]byte, bool, error) {
	start := st.Checkpoint
	if st.Cursor != "" {
		start = st.Query
	}
	if start == "" {
		start = "0"
	}
	startTS, err := strconv.ParseInt(start, 10, 64)
	if err != nil {
		return nil, false, fmt.Errorf("%w: stored StopNCII checkpoint %q", ErrProtocol, start)
	}
	q := url.Values{}
	q.Set("startTimestamp", start)
	q.Set("pageSize", strconv.Itoa(clamp(s.PageSize, 800, 1000)))
	if st.Cursor != "" {
		q.Set("nextPageToken", st.Cursor)
	}
	req, err := s.request(http.MethodGet, s.base()+"/v1/FetchHashes?"+q.Encode(), nil)
	if err != nil {
		return nil, false, err
	}
	body, err := s.Transport.do(ctx, req)
	if err != nil {
		return nil, false, err
	}
	p, err := parseStopNCIIPage(body)
	if err != nil {
		return nil, false, err
	}
	if p.NextPageToken != nil && *p.NextPageToken != "" {
		if *p.NextPageToken == st.Cursor {
			return nil, false, fmt.Errorf("%w: StopNCII's next page is the page itself", ErrProtocol)
		}
		st.Cursor, st.Query = *p.NextPageToken, start
		return body, false, nil
	}
	st.Cursor, st.Query = "", ""
	if p.NextSetTimestamp != nil && *p.NextSetTimestamp > startTS {
		st.Checkpoint = strconv.FormatInt(*p.NextSetTimestamp, 10)
	} else if p.HasMoreRecords {
		return nil, false, fmt.Errorf("%w: StopNCII has more records but gives no way on (no nextPageToken, nextSetTimestamp not after %d)", ErrProtocol, startTS)
	}
	return body, !p.HasMoreRecords, nil
}

// stopNCIIFeedback maps a verdict onto StopNCII's feedback values.
var stopNCIIFeedback = map[hashdb.Verdict]string{
	hashdb.Confirmed:     "Blocked",
	hashdb.FalsePositive: "NotBlocked",
	hashdb.Disputed:      "NotBlocked",
}

func (s *StopNCII) report(ctx context.Context, it *hashdb.Item, op *hashdb.Opinion) error {
	if len(it.Signals) == 0 {
		return fmt.Errorf("%w: item %s has no signal", ErrProtocol, it.Key)
	}
	tags := []string{}
	if op.Verdict == hashdb.Disputed {
		tags = append(tags, "disputed")
	}
	type feedback struct {
		HashValue     string   `json:"hashValue"`
		Tags          []string `json:"tags"`
		FeedbackValue string   `json:"feedbackValue"`
	}
	body, err := json.Marshal(struct {
		Count         int        `json:"count"`
		HashFeedbacks []feedback `json:"hashFeedbacks"`
	}{1, []feedback{{it.Signals[0].Hex(), tags, stopNCIIFeedback[op.Verdict]}}})
	if err != nil {
		return err
	}
	req, err := s.request(http.MethodPost, s.base()+"/v1/SubmitFeedback", body)
	if err != nil {
		return err
	}
	_, err = s.Transport.do(ctx, req)
	return err
}

// orBase is base without its trailing slash, or def.
func orBase(base, def string) string {
	if base == "" {
		base = def
	}
	return strings.TrimRight(base, "/")
}

// clamp is v, def if v is not positive, at most max.
func clamp(v, def, max int) int {
	if v <= 0 {
		v = def
	}
	return min(v, max)
}
