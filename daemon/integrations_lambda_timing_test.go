package daemon

import (
	"testing"

	"github.com/stepd/stepd/internal/fastlambda"
)

// BenchmarkLambdaTask measures StartSyncExecution of a one-Task machine
// whose Lambda function is served on loopback: the full request path plus
// one Lambda Invoke round trip. integrations.BenchmarkLambdaEndpoint measures the bare
// round trip to the same endpoint with the same client; the difference is
// stepd's overhead per call.
func BenchmarkLambdaTask(b *testing.B) {
	for _, c := range []struct{ name, resource string }{
		{"function-arn", `"Resource":"arn:aws:lambda:us-east-1:123456789012:function:echo"`},
		{"lambda-invoke", `"Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.LambdaEndpoint = fastlambda.Start(b)
			def := `{"StartAt":"T","States":{"T":{"Type":"Task",` + c.resource + `,"End":true}}}`
			benchStartSync(b, cfg, "lambda", def, `{"order":{"id":"o-1","total":150}}`)
		})
	}
}
