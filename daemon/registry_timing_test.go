package daemon

import (
	"context"
	"io"
	"log"
	"testing"
)

var resolveSink resolved

// BenchmarkResolve measures the registry lookup every execution makes:
// a state machine, a version and an alias (weighted routing) by ARN.
func BenchmarkResolve(b *testing.B) {
	cfg := DefaultConfig()
	cfg.DataDir = b.TempDir()
	srv, err := newServer(context.Background(), inProcessCluster(cfg), log.New(io.Discard, "", 0))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.shutdown(0)
	def := `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	create, _ := encode(nil, map[string]any{"name": "m", "type": "EXPRESS", "roleArn": "arn:aws:iam::123456789012:role/r", "definition": def, "publish": true})
	if _, aerr := srv.createStateMachine(create, nil); aerr != nil {
		b.Fatal(aerr)
	}
	arn := srv.id.stateMachineArn("m")
	alias, _ := encode(nil, map[string]any{"name": "live", "routingConfiguration": []map[string]any{{"stateMachineVersionArn": arn + ":1", "weight": 100}}})
	if _, aerr := srv.createAlias(alias, nil); aerr != nil {
		b.Fatal(aerr)
	}
	for _, target := range []string{arn, arn + ":1", arn + ":live"} {
		b.Run(target[len(arn)-1:], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, aerr := srv.reg.resolve(target, pickWeighted)
				if aerr != nil {
					b.Fatal(aerr)
				}
				resolveSink = r
			}
		})
	}
}
