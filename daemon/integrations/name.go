package integrations

import "strings"

// Name is the integration a Task Resource calls, as metrics label it: the
// service of an optimized or SDK integration (arn:aws:states:::sqs:… is
// "sqs", arn:aws:states:::aws-sdk:dynamodb:… is "aws-sdk:dynamodb",
// arn:aws:states:::http:invoke is "http"), the service of a plain ARN
// (arn:aws:lambda:…:function:F is "lambda", an activity is "states"), or
// "unknown" for what is not an ARN. It reads only the ARN's shape, so it
// names integrations this node does not run too.
func Name(resource string) string {
	rest, ok := strings.CutPrefix(resource, "arn:")
	if !ok {
		return "unknown"
	}
	_, rest, ok = strings.Cut(rest, ":") // the partition
	if !ok {
		return "unknown"
	}
	if svc, ok := strings.CutPrefix(rest, "states:::"); ok {
		name, action, _ := strings.Cut(svc, ":")
		if name == "aws-sdk" {
			sdk, _, _ := strings.Cut(action, ":")
			return "aws-sdk:" + sdk
		}
		return name
	}
	svc, _, _ := strings.Cut(rest, ":")
	if svc == "" {
		return "unknown"
	}
	return svc
}
