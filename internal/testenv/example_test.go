package testenv_test

import (
	"fmt"
	"os"

	"github.com/hashshare/hashshare/internal/testenv"
)

// Under CI a test whose shared data is missing fails; elsewhere it skips.
func ExampleUnderCI() {
	old, had := os.LookupEnv("CI")
	os.Setenv("CI", "true")
	defer func() {
		if had {
			os.Setenv("CI", old)
		} else {
			os.Unsetenv("CI")
		}
	}()
	fmt.Println("testdata from", testenv.EnvVar, "is required:", testenv.UnderCI())
	// Output: testdata from HASHSHARE_TESTDATA is required: true
}
