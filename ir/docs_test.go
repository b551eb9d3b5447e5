package ir

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The model-format documentation is executable: every ```yaml block in
// docs/model-format.md is a complete model file that must parse and expand,
// every ```yaml-error block must fail to parse (with exactly the message of
// the ```text block after it, if there is one), and the model tables must
// match ir.Models.

const modelFormatDoc = "../docs/model-format.md"

// docBlock is one fenced block of a markdown file.
type docBlock struct {
	Lang string
	Line int // line of the opening fence, 1-based
	Text string
}

func readDocBlocks(t *testing.T, path string) ([]docBlock, []string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the documentation: %v", err)
	}
	lines := strings.Split(string(data), "\n")
	var blocks []docBlock
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			continue
		}
		b := docBlock{Lang: strings.TrimSpace(strings.TrimPrefix(l, "```")), Line: i + 1}
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("%s:%d: unterminated code block", path, b.Line)
		}
		b.Text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
	}
	return blocks, lines
}

func TestDocsModelFormatBlocks(t *testing.T) {
	blocks, _ := readDocBlocks(t, modelFormatDoc)
	ok, bad := 0, 0
	for bi, b := range blocks {
		switch b.Lang {
		case "yaml":
			ok++
			t.Run(fmt.Sprintf("line_%d", b.Line), func(t *testing.T) {
				net, err := Parse("model.yaml", []byte(b.Text))
				if err != nil {
					t.Fatalf("%s:%d: the example does not parse:\n%v", modelFormatDoc, b.Line, err)
				}
				if _, err := Expand(net); err != nil {
					t.Fatalf("%s:%d: the example does not expand:\n%v", modelFormatDoc, b.Line, err)
				}
			})
		case "yaml-error":
			bad++
			t.Run(fmt.Sprintf("line_%d", b.Line), func(t *testing.T) {
				net, err := Parse("model.yaml", []byte(b.Text))
				if err == nil {
					if _, err = Expand(net); err == nil {
						t.Fatalf("%s:%d: the example is marked yaml-error but parses and expands", modelFormatDoc, b.Line)
					}
				}
				if bi+1 < len(blocks) && blocks[bi+1].Lang == "text" {
					want := strings.TrimRight(blocks[bi+1].Text, "\n")
					if diff := cmp.Diff(want, err.Error()); diff != "" {
						t.Errorf("%s:%d: the error message shown differs from the real one (-doc +got):\n%s", modelFormatDoc, blocks[bi+1].Line, diff)
					}
				}
			})
		}
	}
	if ok == 0 || bad == 0 {
		t.Fatalf("%s: found %d yaml and %d yaml-error blocks; expected some of each", modelFormatDoc, ok, bad)
	}
}

// docDefault writes a parameter's default as the model tables show it.
func docDefault(p ParamSpec) string {
	switch {
	case p.Required:
		return "required"
	case math.IsInf(p.Default, 1):
		return "∞"
	}
	return FormatQuantity(p.Default, p.Dim)
}

func docInitial(s StateSpec) string {
	if s.DefaultFrom != "" {
		return "`" + s.DefaultFrom + "`"
	}
	return FormatQuantity(s.Default, s.Dim)
}

var tableRow = regexp.MustCompile("^\\| `([^`]+)` \\| (.*) \\|$")

// TestDocsModelTables checks that every model of ir.Models has a section
// "### NAME" in the documentation whose parameter and state tables list
// exactly its parameters and state variables, in table order, with their
// dimension, default and meaning.
func TestDocsModelTables(t *testing.T) {
	_, lines := readDocBlocks(t, modelFormatDoc)
	sections := map[string][]string{} // model name → its section's lines
	sectionLine := map[string]int{}
	for i := 0; i < len(lines); i++ {
		name, found := strings.CutPrefix(lines[i], "### ")
		if !found {
			continue
		}
		name = strings.TrimSpace(name)
		sectionLine[name] = i + 1
		j := i + 1
		for j < len(lines) && !strings.HasPrefix(lines[j], "#") {
			j++
		}
		sections[name] = lines[i+1 : j]
	}
	for _, name := range ModelNames() {
		spec := Models[Model(name)]
		t.Run(name, func(t *testing.T) {
			sec, ok := sections[name]
			if !ok {
				t.Fatalf("%s has no section \"### %s\"", modelFormatDoc, name)
			}
			var want []string
			for _, p := range spec.Params {
				want = append(want, fmt.Sprintf("| `%s` | %s | %s | %s |", p.Name, p.Dim, docDefault(p), p.Doc))
			}
			for _, s := range spec.State {
				want = append(want, fmt.Sprintf("| `%s` | %s | %s | %s |", s.Name, s.Dim, docInitial(s), s.Doc))
			}
			var got []string
			for _, l := range sec {
				if tableRow.MatchString(l) {
					got = append(got, l)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s:%d: the tables of %s differ from ir.Models (-want +doc):\n%s\nthe tables should read:\n%s",
					modelFormatDoc, sectionLine[name], name, diff, strings.Join(want, "\n"))
			}
			if !slicesContain(sec, spec.Doc) {
				t.Errorf("%s:%d: the section of %s should quote the model's description:\n%s", modelFormatDoc, sectionLine[name], name, spec.Doc)
			}
		})
	}
}

func slicesContain(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// TestDocsUnits checks that every accepted unit spelling is listed.
func TestDocsUnits(t *testing.T) {
	data, err := os.ReadFile(modelFormatDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	var missing []string
	for u := range units {
		if !strings.Contains(doc, "`"+u+"`") {
			missing = append(missing, u)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s does not list the unit spellings %s", modelFormatDoc, strings.Join(missing, ", "))
	}
}

// TestDocsExamples checks that the example model files parse and expand.
func TestDocsExamples(t *testing.T) {
	files, err := filepath.Glob("../examples/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples/*.yaml found")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			net, err := ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Expand(net); err != nil {
				t.Fatal(err)
			}
		})
	}
}
