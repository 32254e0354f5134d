// Package testtool finds the external programs tests run (Prometheus,
// promtool, chromium): a test without its tool is skipped locally, and
// fails under CI, whose .ci/run installs every tool the tests need.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// Need returns the path of the command name on PATH. Without it the test
// is skipped, or, when the CI variable is set, fails, naming the Debian
// package pkg that provides it.
func Need(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("no %s on PATH, and CI is set: .ci/run must install it (apt-get install %s)", name, pkg)
	}
	t.Skipf("no %s on PATH (apt-get install %s); set CI=1 to make this a failure", name, pkg)
	return ""
}
