package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The JSON shapes a test expects, key by key. A want value is a literal
// (string, bool, nil, an int for a JSON integer, a float64 for a JSON
// number written as a float), a map[string]any whose keys must be exactly the object's, an
// []any matched element by element, or one of the markers below.
type (
	anyInt    struct{}          // any JSON integer
	anyString struct{}          // any JSON string
	prefix    string            // a JSON string starting with this
	capture   string            // a JSON integer, remembered under this name
	ref       string            // the JSON integer remembered under this name
	setOf     []any             // an array holding these, in any order
	check     func(any) error   // anything the function accepts
	vars      map[string]uint64 // what capture remembered
)

// decodeJSON decodes b keeping numbers as written, so that an integer
// and a float can be told apart.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

// matchShape reports where got, decoded by decodeJSON, differs from want.
func matchShape(path string, got, want any, vs vars) error {
	at := func(format string, a ...any) error { return fmt.Errorf("%s: "+format, append([]any{path}, a...)...) }
	switch w := want.(type) {
	case nil:
		if got != nil {
			return at("got %v, want null", got)
		}
	case string:
		if got != w {
			return at("got %#v, want %q", got, w)
		}
	case bool:
		if got != w {
			return at("got %#v, want %v", got, w)
		}
	case int:
		n, err := integer(got)
		if err != nil || n != uint64(w) {
			return at("got %#v, want the integer %d", got, w)
		}
	case float64:
		// Python writes a float with a point or an exponent: 1.0, never 1.
		n, ok := got.(json.Number)
		if f, err := n.Float64(); !ok || err != nil || f != w || !strings.ContainsAny(n.String(), ".eE") {
			return at("got %#v, want the float %v written as Python writes floats", got, w)
		}
	case anyInt:
		if _, err := integer(got); err != nil {
			return at("%v", err)
		}
	case anyString:
		if _, ok := got.(string); !ok {
			return at("got %#v, want a string", got)
		}
	case prefix:
		if s, ok := got.(string); !ok || !strings.HasPrefix(s, string(w)) {
			return at("got %#v, want a string starting %q", got, w)
		}
	case capture:
		n, err := integer(got)
		if err != nil {
			return at("%v", err)
		}
		vs[string(w)] = n
	case ref:
		n, err := integer(got)
		if v, ok := vs[string(w)]; err != nil || !ok || n != v {
			return at("got %#v, want %s = %d", got, w, vs[string(w)])
		}
	case check:
		if err := w(got); err != nil {
			return at("%v", err)
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return at("got %#v, want an object", got)
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return at("unexpected key %q", k)
			}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v, ok := g[k]
			if !ok {
				return at("missing key %q", k)
			}
			if err := matchShape(path+"."+k, v, w[k], vs); err != nil {
				return err
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at("got %#v, want an array of %d", got, len(w))
		}
		for i := range w {
			if err := matchShape(path+"["+strconv.Itoa(i)+"]", g[i], w[i], vs); err != nil {
				return err
			}
		}
	case setOf:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return at("got %#v, want an array of %d", got, len(w))
		}
		used := make([]bool, len(g))
	next:
		for _, wv := range w {
			for i, gv := range g {
				if !used[i] && matchShape(path, gv, wv, vs) == nil {
					used[i] = true
					continue next
				}
			}
			return at("no element matches %#v in %#v", wv, got)
		}
	default:
		return at("the test wants an unknown shape %T", want)
	}
	return nil
}

// integer reads a JSON integer.
func integer(v any) (uint64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("got %#v, want an integer", v)
	}
	u, err := strconv.ParseUint(n.String(), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("got %s, want an integer", n)
	}
	return u, nil
}
