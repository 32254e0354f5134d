package integrations

import (
	"context"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// publish runs arn:aws:states:::sns:publish: Publish over the query
// protocol, a non-string Message sent as its JSON text. The result is
// {MessageId, SdkHttpMetadata, SdkResponseMetadata[, SequenceNumber]};
// errors are SNS.* in the AWS SDK for Java 1.x style
// (SNS.NotFoundException for a topic that does not exist).
func (s *Services) publish(ctx context.Context, input, dst []byte) ([]byte, error) {
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure("sns:publish", "must be an object with Message and TopicArn, TargetArn or PhoneNumber")
	}
	c := acquireCall(awsclient.SNS)
	defer releaseCall(c)
	b := append(c.body, "Action=Publish&Version=2010-03-31"...)
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		if jsonb.KindOf(v) == jsonb.KindNull {
			continue // a null member is not sent, as the SDK leaves it unset
		}
		switch name {
		case "TopicArn", "TargetArn", "PhoneNumber", "Message", "Subject", "MessageStructure", "MessageDeduplicationId", "MessageGroupId":
			c.tmp = textOf(c.tmp[:0], v)
			b = appendFormParam(b, name, c.tmp)
		case "MessageAttributes":
			b = appendAttributes(b, &c.tmp, "MessageAttributes.entry.", ".Name", ".Value.", v)
		default:
			return dst, runtimeFailure("sns:publish", "have the field '"+name+"', which SNS Publish does not take")
		}
	}
	c.body = b
	if err := s.do(ctx, c, optimized); err != nil {
		return dst, err
	}
	body := c.resp.Body()
	dst = append(dst, '{')
	if v, ok := awsclient.FindXML(body, "MessageId"); ok {
		dst = append(dst, `"MessageId":`...)
		dst = jsonb.AppendQuoted(dst, v)
		dst = append(dst, ',')
	}
	rid, _ := awsclient.FindXML(body, "RequestId")
	dst = appendSdkMetadata(dst, &c.resp, rid)
	if v, ok := awsclient.FindXML(body, "SequenceNumber"); ok && len(v) > 0 {
		dst = append(dst, `,"SequenceNumber":`...)
		dst = jsonb.AppendQuoted(dst, v)
	}
	return append(dst, '}'), nil
}
