//go:build !unix

package serialport

import "os"

// pollable: pseudo-terminals are a Unix thing; elsewhere f is returned as
// it is.
func pollable(f *os.File) (*os.File, error) { return f, nil }
