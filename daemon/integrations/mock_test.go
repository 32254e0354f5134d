package integrations

import (
	"os"
	"path/filepath"
	"testing"
)

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMocks(t *testing.T) {
	set, err := ParseMocks(mustRead(t, filepath.Join("testdata", "mock_config.json")))
	if err != nil {
		t.Fatal(err)
	}
	tc, err := set.Find("LambdaSQSIntegration", "RetryPath")
	if err != nil {
		t.Fatal(err)
	}
	steps := tc["LambdaState"]
	if len(steps) != 4 || steps[0].fail.Name != "Lambda.ResourceNotReadyException" || steps[2].fail.Name != "Lambda.TimeoutException" || steps[3].result == nil {
		t.Fatalf("steps %+v", steps)
	}
	for _, bad := range []string{
		`{"MockedResponses":{"R":{"1":{"Return":1}}}}`,                       // gap at 0
		`{"MockedResponses":{"R":{"0":{}}}}`,                                 // neither
		`{"MockedResponses":{"R":{"0-x":{"Return":1}}}}`,                     // bad range
		`{"StateMachines":{"M":{"TestCases":{"T":{"S":"Missing"}}}}}`,        // unknown response
		`{"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}}`, // both
	} {
		if _, err := ParseMocks([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, err := set.Find("LambdaSQSIntegration", "Nope"); err == nil {
		t.Error("an unknown test case was found")
	}
}
