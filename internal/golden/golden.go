// Package golden compares test output with files committed under
// testdata, and rewrites those files when the tests run with -update.
// Only tests import it: it registers the -update flag of their binary.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// Update reports whether the tests run with -update, for goldens that
// are not compared as text.
func Update() bool { return *update }

// Check compares got, as text, with the file at path, or writes got
// there under -update. what names the output in the failure.
func Check(t testing.TB, path, what string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from %s (-want +got; if the change is meant, rerun with -update):\n%s", what, path, diff)
	}
}
