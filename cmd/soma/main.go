// Command soma compiles spiking networks to neuromorphic hardware, emulates
// it, and runs it over a serial link. See internal/cli for the commands.
package main

import (
	"os"

	"github.com/somahw/soma/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
