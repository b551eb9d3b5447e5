package target

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/somahw/soma/internal/suggest"
)

//go:embed targets
var embedded embed.FS

// builtin is the catalog of the embedded targets/*.json.
var builtin = func() *Catalog {
	sub, err := fs.Sub(embedded, "targets")
	if err != nil {
		panic(err) // the embed directive guarantees the directory
	}
	return NewCatalog(sub)
}()

// Names returns the sorted names of the built-in concrete (non-abstract) targets.
func Names() []string { return builtin.Names() }

// Load returns the named built-in target, inheritance applied and validated.
func Load(name string) (*Target, error) { return builtin.Load(name) }

// All loads every built-in concrete target, in name order.
func All() ([]*Target, error) { return builtin.All() }

// Catalog reads targets from the *.json files at the root of a file system.
// The built-in catalog reads the embedded files; tests pass a fstest.MapFS.
// A Catalog holds no cache: each Load reads and resolves afresh and returns
// a Target the caller may modify.
type Catalog struct {
	fsys fs.FS
}

// NewCatalog returns a catalog over the *.json files at the root of fsys.
func NewCatalog(fsys fs.FS) *Catalog { return &Catalog{fsys: fsys} }

// files returns the target names of every file, abstract ones included.
func (c *Catalog) files() []string {
	paths, _ := fs.Glob(c.fsys, "*.json") // the pattern is constant and valid
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(p, ".json"))
	}
	sort.Strings(names)
	return names
}

// Names returns the sorted names of the concrete targets. A file that cannot
// be read or parsed is listed, so that Load reports what is wrong with it
// rather than the target silently disappearing.
func (c *Catalog) Names() []string {
	var out []string
	for _, n := range c.files() {
		if !c.isAbstract(n) {
			out = append(out, n)
		}
	}
	return out
}

func (c *Catalog) isAbstract(name string) bool {
	b, err := fs.ReadFile(c.fsys, name+".json")
	if err != nil {
		return false
	}
	var head struct {
		Abstract bool `json:"abstract"`
	}
	return json.Unmarshal(b, &head) == nil && head.Abstract
}

// All loads every concrete target in name order; the error joins every failure.
func (c *Catalog) All() ([]*Target, error) {
	var ts []*Target
	var errs []error
	for _, n := range c.Names() {
		t, err := c.Load(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ts = append(ts, t)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ts, nil
}

// Load resolves the named target's inheritance chain, decodes the merged
// document strictly and validates it.
func (c *Catalog) Load(name string) (*Target, error) {
	if !slices.Contains(c.files(), name) {
		return nil, c.unknown(name, "")
	}
	doc, chain, err := c.resolve(name, nil)
	if err != nil {
		return nil, err
	}
	if ab, _ := doc["abstract"].(bool); ab {
		return nil, fmt.Errorf("target %s is abstract (a base for %s); load one of those", name, strings.Join(c.children(name), ", "))
	}
	doc = dropNulls(doc)
	doc["name"] = name
	merged, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	var t Target
	if err := strictUnmarshal(merged, &t); err != nil {
		return nil, fmt.Errorf("target %s (%s): %w", name, chainString(chain), err)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("%w (resolved from %s)", err, chainString(chain))
	}
	return &t, nil
}

// children lists the concrete targets that inherit, directly or not, from name.
func (c *Catalog) children(name string) []string {
	var out []string
	for _, n := range c.Names() {
		for p := n; p != ""; {
			f, err := c.read(p)
			if err != nil {
				break
			}
			p, _ = f.doc["inherits"].(string)
			if p == name {
				out = append(out, n)
				break
			}
		}
	}
	if len(out) == 0 {
		return []string{"no concrete target"}
	}
	return out
}

func chainString(chain []string) string {
	parts := make([]string, len(chain))
	for i, n := range chain {
		parts[i] = n + ".json"
	}
	return strings.Join(parts, " ← ")
}

// unknown builds the error for a name with no file, listing the known names
// and the closest one. from is the file that named it, if any.
func (c *Catalog) unknown(name, from string) error {
	known := c.Names()
	pool := known
	if from != "" {
		pool = c.files() // a parent may well be abstract
	}
	msg := fmt.Sprintf("unknown target %q (known: %s)", name, strings.Join(known, ", "))
	if from != "" {
		msg = fmt.Sprintf("%s: inherits unknown target %q", from, name)
	}
	if s, ok := closest(name, pool); ok {
		msg += fmt.Sprintf("; did you mean %s?", s)
	}
	return errors.New(msg)
}

type rawFile struct {
	path string
	doc  map[string]any
}

// read parses one file and checks it against the schema on its own, so that a
// bad field or enum is reported against the file that wrote it, not against
// the merged target.
func (c *Catalog) read(name string) (*rawFile, error) {
	p := name + ".json"
	b, err := fs.ReadFile(c.fsys, p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep integers exact through the merge
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(b, se.Offset-1) // Offset counts the offending byte
			return nil, fmt.Errorf("%s:%d:%d: %s", p, line, col, se.Error())
		}
		return nil, fmt.Errorf("%s: %w", p, cleanJSONError(err))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: trailing data after the JSON object", p)
	}
	if doc == nil {
		return nil, fmt.Errorf("%s: want a JSON object", p)
	}
	if f, siblings := unknownField(doc, reflect.TypeFor[Target](), ""); f != "" {
		msg := fmt.Sprintf("%s: unknown field %q", p, f)
		if s, ok := closest(f[strings.LastIndexAny(f, ".]")+1:], siblings); ok {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return nil, errors.New(msg)
	}
	if err := strictUnmarshal(b, new(Target)); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if n, ok := doc["name"]; ok && n != name {
		return nil, fmt.Errorf("%s: name %q differs from the file name (leave name out; the loader sets it)", p, n)
	}
	return &rawFile{path: p, doc: doc}, nil
}

// resolve returns the merged document of name and its ancestors, and the chain
// of names from name up to the root. seen holds the names below it, to detect
// a cycle.
func (c *Catalog) resolve(name string, seen []string) (map[string]any, []string, error) {
	f, err := c.read(name)
	if err != nil {
		return nil, nil, err
	}
	parent, _ := f.doc["inherits"].(string)
	if parent == "" {
		return merge(nil, f.doc), []string{name}, nil
	}
	below := slices.Concat(seen, []string{name})
	if i := slices.Index(below, parent); i >= 0 {
		cycle := slices.Concat(below[i:], []string{parent})
		return nil, nil, fmt.Errorf("%s: inheritance cycle %s", f.path, strings.Join(cycle, " → "))
	}
	if !slices.Contains(c.files(), parent) {
		return nil, nil, c.unknown(parent, f.path)
	}
	pdoc, chain, err := c.resolve(parent, below)
	if err != nil {
		return nil, nil, err
	}
	// abstract describes a file, not a family: a child of an abstract base is
	// concrete unless it says otherwise.
	delete(pdoc, "abstract")
	return merge(pdoc, f.doc), append([]string{name}, chain...), nil
}

// merge returns parent overlaid with child: objects merge key by key,
// recursively; any other child value (array, scalar, null) replaces the
// parent's whole. Neither input is modified.
func merge(parent, child map[string]any) map[string]any {
	out := make(map[string]any, len(parent)+len(child))
	for k, v := range parent {
		out[k] = v
	}
	for k, cv := range child {
		pm, pok := out[k].(map[string]any)
		cm, cok := cv.(map[string]any)
		if pok && cok {
			out[k] = merge(pm, cm)
			continue
		}
		out[k] = cv
	}
	return out
}

// dropNulls removes every key whose value is null, at any depth: in a target
// file, null means "remove what the parent set" (a memory kind the device
// lacks, an energy entry that does not apply), and after the merge nothing
// of it should remain for the decoder to turn into a zero value.
func dropNulls(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			continue
		case map[string]any:
			out[k] = dropNulls(x)
		default:
			out[k] = v
		}
	}
	return out
}

var (
	energyTableType = reflect.TypeFor[EnergyTable]()
	costTableType   = reflect.TypeFor[CostTable]()
)

// unknownField walks a decoded JSON value alongside the Go type it will be
// decoded into and returns the dotted path of the first key (in sorted order)
// that the type has no field for, with the field names allowed there. The
// strict decoder would reject the same key, but names only the key, not where
// it is. Keys must match the json tags exactly: encoding/json would accept
// "Kind" for "kind", the files may not.
func unknownField(v any, t reflect.Type, at string) (string, []string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case energyTableType:
		t = reflect.MapOf(reflect.TypeFor[string](), reflect.TypeFor[Coefficient]())
	case costTableType:
		t = reflect.MapOf(reflect.TypeFor[string](), reflect.TypeFor[Cost]())
	}
	join := func(k string) string {
		if at == "" {
			return k
		}
		return at + "." + k
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return "", nil // a type error; the decoder reports it
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			sf := t.Field(i)
			tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if tag == "-" || !sf.IsExported() {
				continue
			}
			if tag == "" {
				tag = sf.Name
			}
			fields[tag] = sf.Type
			names = append(names, tag)
		}
		for _, k := range sortedKeys(m) {
			ft, ok := fields[k]
			if !ok {
				return join(k), names
			}
			if p, s := unknownField(m[k], ft, join(k)); p != "" {
				return p, s
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return "", nil
		}
		for _, k := range sortedKeys(m) {
			if p, s := unknownField(m[k], t.Elem(), join(k)); p != "" {
				return p, s
			}
		}
	case reflect.Slice:
		a, ok := v.([]any)
		if !ok {
			return "", nil
		}
		for i, e := range a {
			if p, s := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p, s
			}
		}
	}
	return "", nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// lineCol returns the 1-based line and column of the byte at index off.
func lineCol(b []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// closest returns the plausible typo fix for s among candidates (see
// internal/suggest); an exact match is not a suggestion.
func closest(s string, candidates []string) (string, bool) {
	c := suggest.Closest(s, candidates)
	if c == "" || c == s {
		return "", false
	}
	return c, true
}
