package resolve_test

import (
	"fmt"

	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/resolve"
	"github.com/demarc-io/demarc/systemfile"
)

// Resolve a system and ask who owns a control and why.
func Example() {
	lib, err := library.Builtin()
	if err != nil {
		panic(err)
	}
	sys, err := systemfile.Parse("shop.yaml", []byte(`
name: shop
components:
  - name: api
    service: aws/lambda
  - name: vm
    service: aws/ec2
`))
	if err != nil {
		panic(err)
	}
	if err := systemfile.Check(sys, lib).Err(); err != nil {
		panic(err)
	}
	res, err := resolve.New(lib).Resolve(sys)
	if err != nil {
		panic(err)
	}
	si2 := res.Control(lib.Control("nist-800-53-r5", "si-2"))
	fmt.Println("si-2:", si2.Owner, si2.Sharing)
	for _, c := range []string{"api", "vm"} {
		a := res.Assignment(c, "os.patching")
		fmt.Printf("os.patching on %s: %s, decided by %s\n", c, a.Owner, a.Provenance.Decided.Source)
	}
	// Output:
	// si-2: shared dependent
	// os.patching on api: provider, decided by faas model default
	// os.patching on vm: customer, decided by iaas model default
}
