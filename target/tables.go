package target

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Coefficient is one sourced energy figure.
type Coefficient struct {
	// Name is the key in the JSON object (e.g. "router.packet"); it may be
	// repeated inside the entry, but must then match.
	Name  string  `json:"name,omitempty"`
	Value float64 `json:"value"` // in Unit, unscaled SI (1 nJ is 1e-9)
	Unit  Unit    `json:"unit"`
	// Per says what one Value is spent on ("packet", "synaptic event"); empty for a power.
	Per string `json:"per,omitempty"`
	// Source names the paper and table, or the file, the value was read in.
	Source string `json:"source"`
	Status Status `json:"status"`
	// Note gives caveats; for status estimate it is the rationale and is required.
	Note string `json:"note,omitempty"`
}

// Cost is one processing cost in core clock cycles.
type Cost struct {
	Name   string  `json:"name,omitempty"` // as for Coefficient
	Cycles float64 `json:"cycles"`
	Per    string  `json:"per"` // what one Cycles is spent on ("neuron per tick", "synaptic word")
	Source string  `json:"source"`
	Status Status  `json:"status"`
	Note   string  `json:"note,omitempty"`
}

// EnergyTable is a list of coefficients sorted by name. In JSON it is an object
// keyed by name, so that a child target can override or add one entry through
// the ordinary deep merge (an array would be replaced whole); an entry set to
// null removes the inherited one.
type EnergyTable []Coefficient

// CostTable is a list of cycle costs sorted by name, written in JSON like EnergyTable.
type CostTable []Cost

// Lookup returns the coefficient with the given name.
func (e EnergyTable) Lookup(name string) (Coefficient, bool) {
	i := slices.IndexFunc(e, func(c Coefficient) bool { return c.Name == name })
	if i < 0 {
		return Coefficient{}, false
	}
	return e[i], true
}

// Lookup returns the cost with the given name.
func (c CostTable) Lookup(name string) (Cost, bool) {
	i := slices.IndexFunc(c, func(x Cost) bool { return x.Name == name })
	if i < 0 {
		return Cost{}, false
	}
	return c[i], true
}

// UnmarshalJSON reads the object form.
func (e *EnergyTable) UnmarshalJSON(b []byte) error {
	v, err := unmarshalTable(b, "energy", func(c *Coefficient) *string { return &c.Name })
	*e = v
	return err
}

// MarshalJSON writes the object form, without the redundant inner names.
func (e EnergyTable) MarshalJSON() ([]byte, error) {
	return marshalTable(e, func(c Coefficient) (string, Coefficient) { n := c.Name; c.Name = ""; return n, c })
}

// UnmarshalJSON reads the object form.
func (c *CostTable) UnmarshalJSON(b []byte) error {
	v, err := unmarshalTable(b, "cycles", func(x *Cost) *string { return &x.Name })
	*c = v
	return err
}

// MarshalJSON writes the object form, without the redundant inner names.
func (c CostTable) MarshalJSON() ([]byte, error) {
	return marshalTable(c, func(x Cost) (string, Cost) { n := x.Name; x.Name = ""; return n, x })
}

// unmarshalTable decodes {"name": {...}, ...} into a slice sorted by name.
// A type with its own UnmarshalJSON does not inherit the outer decoder's
// DisallowUnknownFields, so each entry gets a strict decoder of its own.
func unmarshalTable[T any](b []byte, what string, name func(*T) *string) ([]T, error) {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%s: want an object keyed by entry name: %w", what, err)
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		if bytes.Equal(bytes.TrimSpace(raw[k]), []byte("null")) {
			continue // removed by a child target
		}
		var v T
		if err := strictUnmarshal(raw[k], &v); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", what, k, err)
		}
		n := name(&v)
		if *n != "" && *n != k {
			return nil, fmt.Errorf("%s.%s: inner name %q differs from its key", what, k, *n)
		}
		*n = k
		out = append(out, v)
	}
	return out, nil
}

// marshalTable writes entries as an object in their (sorted) order.
func marshalTable[T any](entries []T, split func(T) (string, T)) ([]byte, error) {
	if entries == nil {
		return []byte("{}"), nil
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range entries {
		name, v := split(e)
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(body)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// strictUnmarshal decodes exactly one JSON value into v, rejecting unknown
// fields and trailing data.
func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return cleanJSONError(err)
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}

// cleanJSONError drops the "json: " prefix so wrapped messages read as one
// sentence ("targets/x.json: unknown field ..."), keeping the original error
// reachable with errors.As.
func cleanJSONError(err error) error { return jsonError{err} }

type jsonError struct{ err error }

func (e jsonError) Error() string { return strings.TrimPrefix(e.err.Error(), "json: ") }
func (e jsonError) Unwrap() error { return e.err }
