package awsclient

import (
	"testing"
	"time"
)

var signSink []byte

// BenchmarkSign measures one SigV4 signature of a DynamoDB GetItem (the
// signing key is cached, so this is two SHA-256s of the request and one
// HMAC).
func BenchmarkSign(b *testing.B) {
	g := &signer{region: "us-east-1", service: "dynamodb"}
	now := time.Date(2026, 12, 6, 5, 4, 3, 0, time.UTC)
	payload := []byte(PayloadHash([]byte(`{"TableName":"bench","Key":{"id":{"S":"o-1"}}}`)))
	hs := []Header{{"host", "dynamodb.us-east-1.amazonaws.com"}, {"x-amz-date", "20261206T050403Z"}, {"x-amz-target", "DynamoDB_20120810.GetItem"}, {"content-type", "application/x-amz-json-1.0"}}
	s := scratchPool.Get().(*scratch)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		signSink = g.sign(signSink[:0], s, "POST", "/", nil, hs, payload, now, "AKIDEXAMPLE", "SECRET")
	}
}
