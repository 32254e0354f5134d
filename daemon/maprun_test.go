package daemon

import "testing"

// TestProcessorDefinition: a child's state machine is its Distributed
// Map's ItemProcessor without ProcessorConfig, found however deep the Map
// is; a state that is not there leaves the definition whole.
func TestProcessorDefinition(t *testing.T) {
	const nested = `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"D","States":{"D":{"Type":"Map","End":true,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}}}}}}}]}}}`
	for _, tc := range []struct{ name, def, state, want string }{
		{"top", `{"StartAt":"D","States":{"D":{"Type":"Map","End":true,"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"X","States":{"X":{"Type":"Succeed"}}}}}}`,
			"D", `{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}`},
		{"nested", nested, "D", `{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}`},
		{"missing", nested, "Nope", nested},
		{"not JSON", `{`, "D", `{`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := processorDefinition(tc.def, tc.state); got != tc.want {
				t.Errorf("got %s\nwant %s", got, tc.want)
			}
		})
	}
}
