package spinnaker

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

func TestScratch(t *testing.T) {
	for _, ex := range []string{"cuba", "stdp", "synfire"} {
		net, err := ir.ReadFile("../../examples/" + ex + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		tg, _ := target.Load("spinn5")
		var prev []byte
		for i := 0; i < 4; i++ {
			res, err := compiler.Compile(net, tg, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := program.Encode(res.Program)
			if prev != nil && !bytes.Equal(prev, b) {
				fmt.Println(ex, "nondeterministic")
			}
			prev = b
		}
	}
}
