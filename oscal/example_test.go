package oscal_test

import (
	"fmt"
	"os"

	"github.com/demarc-io/demarc/library"
	"github.com/demarc-io/demarc/oscal"
)

// Check an SSP against the official schema of its OSCAL version and
// against the leveraged SSP and catalog its references point into.
func ExampleValidate() {
	refs, err := oscal.LoadReferences([]string{"testdata/leveraged_ssp.json"}, "testdata/abc_catalog.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	data, err := os.ReadFile("testdata/broken_leveraging_ssp.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	rep := oscal.Validate("broken_leveraging_ssp.json", data, refs)
	fmt.Println(rep.Valid(), len(rep.Problems))
	fmt.Println(rep.Problems[3].Field)
	fmt.Println(rep.Problems[3].Message)
	// Output:
	// false 9
	// system-security-plan.control-implementation.implemented-requirements[0].statements[0].by-components[0].inherited[0].provided-uuid
	// provided-uuid "8b9c0d1e-2f3a-4b4c-9d6e-7f8a9b0c1d2e" points at a responsibility (system-security-plan.control-implementation.implemented-requirements[0].statements[0].by-components[0].export.responsibilities[0] in leveraged_ssp.json); expected a provided statement
}

// Turn a profile into a framework whose controls carry responsibility
// areas, ready for a system's matrix.
func ExampleLoadFramework() {
	lib, err := library.Builtin()
	if err != nil {
		fmt.Println(err)
		return
	}
	fw, warnings, err := oscal.LoadFramework("testdata/select_profile.json", lib)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range fw.Controls {
		fmt.Println(c.ID, c.Areas)
	}
	fmt.Println(warnings[0])
	// Output:
	// ac-1 [gov.policy]
	// ac-2 [identity.account-lifecycle identity.access-review]
	// ac-2.1 [identity.account-lifecycle identity.access-review]
	// ac-2.99 [identity.account-lifecycle identity.access-review]
	// pe-3 [facility.physical-security]
	// ac-2.99 (Test Enhancement Unknown to the Library) is not in nist-800-53-r5; it takes the areas of ac-2
}
