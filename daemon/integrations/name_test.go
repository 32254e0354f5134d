package integrations

import "testing"

// TestName: the integration label of Task resources of every shape.
func TestName(t *testing.T) {
	for _, tc := range []struct{ resource, want string }{
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "lambda"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f:prod", "lambda"},
		{"arn:aws:states:::lambda:invoke", "lambda"},
		{"arn:aws:states:::lambda:invoke.waitForTaskToken", "lambda"},
		{"arn:aws:states:::http:invoke", "http"},
		{"arn:aws:states:::sqs:sendMessage", "sqs"},
		{"arn:aws:states:::aws-sdk:dynamodb:getItem", "aws-sdk:dynamodb"},
		{"arn:aws-us-gov:states:::sns:publish", "sns"},
		{"arn:aws:states:us-east-1:123456789012:activity:a", "states"},
		{"arn:aws:states:::aws-sdk", "aws-sdk:"},
		{"not-an-arn", "unknown"},
		{"arn:aws", "unknown"},
		{"arn:aws::", "unknown"},
		{"", "unknown"},
	} {
		if got := Name(tc.resource); got != tc.want {
			t.Errorf("Name(%q) = %q, want %q", tc.resource, got, tc.want)
		}
	}
}
