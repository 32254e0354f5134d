package history

import "testing"

func TestSplitResource(t *testing.T) {
	for _, c := range []struct{ res, typ, name string }{
		{"arn:aws:states:::lambda:invoke", "lambda", "invoke"},
		{"arn:aws:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage.waitForTaskToken"},
		{"arn:aws:states:::aws-sdk:s3:getObject", "aws-sdk:s3", "getObject"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f"},
	} {
		if typ, name := splitResource(c.res); typ != c.typ || name != c.name {
			t.Errorf("%s: %q %q, want %q %q", c.res, typ, name, c.typ, c.name)
		}
	}
}
