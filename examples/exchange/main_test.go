package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRun runs the whole exchange and checks each step's outcome in what
// it printed; run itself fails if the databases end up disagreeing or the
// tampered bundle is accepted or changes anything.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"org-b imported a FULL bundle from org-a: 3 entries",
		"org-b: mirrored picture 1 matches org-a/picture-1",
		"org-b: mirrored picture 1 matches nothing",
		"org-b: mirrored picture 4 matches org-a/picture-4",
		"org-b refused it: hashdb: import: bundle: bad signature",
		"org-b: mirrored picture 5 matches org-a/picture-5",
		"both databases hold the same live items from org-a: [picture-2 picture-3 picture-4 picture-5]",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
