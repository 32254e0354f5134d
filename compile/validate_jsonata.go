package compile

import (
	"fmt"

	"github.com/stepd/stepd/fastpath"
	jsonatalang "github.com/stepd/stepd/fastpath/jsonata"
)

// Diagnostic codes of the JSONata checks. INVALID_JSONATA_EXPRESSION is
// AWS's (reported with the measured messages in floci-io/floci issue
// 2745); the two warnings are stepd's own: AWS accepts such definitions
// and fails at run time (an unknown function is T1006 "Attempted to
// invoke a non-function"; floci-io/floci issue 2737 records it for
// $eval), so they must not be errors.
const (
	codeInvalidJSONata        = "INVALID_JSONATA_EXPRESSION"
	codeUnknownFunction       = "UNKNOWN_JSONATA_FUNCTION"
	codeUnassignedVariable    = "UNASSIGNED_JSONATA_VARIABLE"
	statesVariable            = "states"
	unknownFunctionMessage    = "The function '$%s' is not a JSONata 2.0.6 function or one Step Functions provides"
	unassignedVariableMessage = "The variable '$%s' is not assigned by any state of this state machine"
)

// jsonataUse is a JSONata expression of the definition and where it is.
type jsonataUse struct {
	loc  string
	expr *jsonatalang.Expr
}

// checkJSONataRefs warns about the names each expression reads without
// binding them itself: a called $name that is no library function, and
// a $name no Assign of the machine sets (other than $states). The check
// is machine-wide, not flow-sensitive: a variable assigned by any state
// counts as assigned everywhere.
func (v *validator) checkJSONataRefs() {
	for _, u := range v.exprs {
		for _, r := range u.expr.FreeRefs() {
			if r.Name == statesVariable || v.assigned[r.Name] {
				continue
			}
			switch {
			case fastpath.IsQueryFunction(r.Name):
				// a library function, called or passed as a value
			case r.Call:
				v.warn(codeUnknownFunction, u.loc, fmt.Sprintf(unknownFunctionMessage, r.Name))
			default:
				v.warn(codeUnassignedVariable, u.loc, fmt.Sprintf(unassignedVariableMessage, r.Name))
			}
		}
	}
}
