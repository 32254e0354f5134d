package daemon

import (
	"os"
	"testing"

	"github.com/stepd/stepd/internal/emulators"
)

// TestMain keeps the package's Tasks that call AWS services on the
// machine (see emulators.Hermetic).
func TestMain(m *testing.M) {
	emulators.Hermetic()
	os.Exit(m.Run())
}
