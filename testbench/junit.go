package testbench

import (
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"

	"github.com/somahw/soma/results"
)

// The JUnit XML most CI systems read (Jenkins, GitLab, GitHub actions):
// <testsuites><testsuite name tests failures errors skipped time>
// <testcase classname name time> with <failure message>, <error message>
// or <skipped message> children.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes outcomes as JUnit XML, one testsuite per suite, one
// testcase per case and engine.
func WriteJUnit(w io.Writer, outcomes []*Outcome) error {
	var doc junitSuites
	index := map[string]int{}
	for _, o := range outcomes {
		i, ok := index[o.Suite]
		if !ok {
			i = len(doc.Suites)
			index[o.Suite] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: o.Suite})
		}
		s := &doc.Suites[i]
		c := junitCase{Classname: o.Suite + "." + o.Case, Name: o.Engine, Time: fmt.Sprintf("%.3f", o.Seconds)}
		s.Tests++
		switch {
		case o.Skipped != "":
			s.Skipped++
			c.Skipped = &junitMessage{Message: o.Skipped}
		case o.Err != nil:
			s.Errors++
			c.Error = &junitMessage{Message: o.Err.Error()}
		case o.Diff != nil:
			s.Failures++
			c.Failure = &junitMessage{Message: fmt.Sprintf("differs from %s", o.Against), Body: o.Diff.Error()}
		}
		s.Cases = append(s.Cases, c)
	}
	for i := range doc.Suites {
		total := 0.0
		for _, o := range outcomes {
			if o.Suite == doc.Suites[i].Name {
				total += o.Seconds
			}
		}
		doc.Suites[i].Time = fmt.Sprintf("%.3f", total)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteTable prints one line per case and engine, then the failures'
// diffs.
func WriteTable(w io.Writer, outcomes []*Outcome) (failed int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "case\tengine\tresult\tagainst\tseconds")
	for _, o := range outcomes {
		status := "ok"
		switch {
		case o.Skipped != "":
			status = "skip (" + o.Skipped + ")"
		case o.Err != nil:
			status, failed = "ERROR", failed+1
		case o.Diff != nil:
			status, failed = "FAIL", failed+1
		}
		against := o.Against
		if against == "" {
			against = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.2f\n", o.Case, o.Engine, status, against, o.Seconds)
	}
	tw.Flush()
	for _, o := range outcomes {
		if o.Err != nil {
			fmt.Fprintf(w, "\n%s on %s: %v\n", o.Case, o.Engine, o.Err)
		}
		if o.Diff != nil {
			fmt.Fprintf(w, "\n%s on %s differs from %s:\n  %s\n", o.Case, o.Engine, o.Against,
				indent(o.Diff.Error()))
		}
	}
	return failed
}

func indent(s string) string {
	out := ""
	for i, r := range s {
		out += string(r)
		if r == '\n' && i < len(s)-1 {
			out += "  "
		}
	}
	return out
}

// WriteRasters writes, for a failed outcome, the two runs' rasters side
// by side: DIR/CASE.EXPECTED.svg and DIR/CASE.ENGINE.svg.
func WriteRasters(dir string, expected *results.Result, o *Outcome, create func(string) (io.WriteCloser, error)) error {
	for _, r := range []struct {
		name string
		res  *results.Result
	}{{o.Case + ".expected.svg", expected}, {o.Case + "." + o.Engine + ".svg", o.Result}} {
		if r.res == nil {
			continue
		}
		f, err := create(filepath.Join(dir, r.name))
		if err != nil {
			return err
		}
		title := fmt.Sprintf("%s: %s", o.Case, r.name)
		if o.Diff != nil && o.Diff.FirstStep >= 0 {
			title += fmt.Sprintf(" (diverges at step %d)", o.Diff.FirstStep)
		}
		err = r.res.WriteRasterSVG(f, results.RasterOptions{Title: title})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
