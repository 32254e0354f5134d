package compile

import (
	"github.com/stepd/stepd/fastpath"
)

// Compile validates an ASL definition for a state machine of type typ and
// lowers it to a program the fastpath VM runs. When the definition has errors
// it returns them all (sorted by location) and no program.
func Compile(definition []byte, typ MachineType) (*fastpath.Program, error) {
	def, err := fastpath.Compact(nil, definition, fastpath.MaxDepth)
	if err != nil {
		return nil, err
	}
	return lower(def, typ)
}
