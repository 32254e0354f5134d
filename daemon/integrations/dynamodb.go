package integrations

import (
	"context"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// dynamo runs arn:aws:states:::dynamodb:getItem, putItem, updateItem and
// deleteItem: the parameters are the API request as they are, and the
// result is the answer's members ([Item|Attributes], …) followed by
// SdkHttpMetadata and SdkResponseMetadata. Errors are DynamoDB.* in the
// AWS SDK for Java 1.x style: DynamoDB.ResourceNotFoundException, and
// DynamoDB.AmazonDynamoDBException for validation errors.
func (s *Services) dynamo(ctx context.Context, op string, input, dst []byte) ([]byte, error) {
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure("dynamodb:"+lowerFirst(op), "must be an object with TableName")
	}
	c := acquireCall(awsclient.DynamoDB)
	defer releaseCall(c)
	c.req.Target = op
	c.body = append(c.body, input...)
	if err := s.do(ctx, c, optimized); err != nil {
		return dst, err
	}
	return appendWithMetadata(dst, &c.resp)
}

// appendWithMetadata appends the JSON object of a JSON-protocol answer
// with the SdkHttpMetadata and SdkResponseMetadata members added at its
// end.
func appendWithMetadata(dst []byte, r *fasthttp.Response) ([]byte, error) {
	mark := len(dst)
	out, err := jsonb.Compact(dst, r.Body(), jsonb.MaxDepth)
	if err != nil || jsonb.KindOf(out[mark:]) != jsonb.KindObject {
		return dst[:mark], &fastpath.Failure{Name: "DynamoDB.SdkClientException", Cause: "Unable to unmarshall response: the answer is not a JSON object"}
	}
	out = out[:len(out)-1] // drop '}'
	if len(out)-mark > 1 {
		out = append(out, ',')
	}
	out = appendSdkMetadata(out, r, nil)
	return append(out, '}'), nil
}

// lowerFirst is name with its first letter in lower case (GetItem → getItem).
func lowerFirst(name string) string {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return name
	}
	return string(name[0]+'a'-'A') + name[1:]
}
