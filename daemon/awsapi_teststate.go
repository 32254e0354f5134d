package daemon

import (
	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/daemon/teststate"
	"github.com/stepd/stepd/internal/awserr"
)

// testState answers TestState (package teststate): one state run once,
// its Task calling the node's integrations unless the request mocks it.
// It takes an in-flight slot like an execution.
func (s *server) testState(body, dst []byte) ([]byte, *awserr.Error) {
	var req teststate.Request
	if aerr := decode(body, &req); aerr != nil {
		return dst, aerr
	}
	if req.Definition == "" {
		return dst, awserr.New("ValidationException", "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must not be null")
	}
	if aerr := s.execs.acquire(); aerr != nil {
		return dst, aerr
	}
	defer s.execs.release()
	cfg := teststate.Config{Region: s.id.region, Account: s.id.account, Invoker: s.execs.invoker}
	resp, terr := teststate.Run(s.ctx, &cfg, &req)
	if terr != nil {
		return dst, awserr.New(terr.Type, "%s", terr.Message)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		return dst, awserr.New("InternalFailure", "cannot encode the TestState answer: %v", err)
	}
	return append(dst, b...), nil
}
