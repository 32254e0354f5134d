package integrations

import (
	"context"
	"strconv"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// sendMessage runs arn:aws:states:::sqs:sendMessage: SendMessage over the
// query protocol (which AWS SQS and goaws both serve), with a non-string
// MessageBody sent as its JSON text. The result is {[MD5OfMessageAttributes,]
// MD5OfMessageBody, MessageId, SdkHttpMetadata, SdkResponseMetadata[,
// SequenceNumber]}; errors are SQS.* in the AWS SDK for Java 1.x style.
func (s *Services) sendMessage(ctx context.Context, input, dst []byte) ([]byte, error) {
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure("sqs:sendMessage", "must be an object with QueueUrl and MessageBody")
	}
	c := acquireCall(awsclient.SQS)
	defer releaseCall(c)
	b := append(c.body, "Action=SendMessage&Version=2012-11-05"...)
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		if jsonb.KindOf(v) == jsonb.KindNull {
			continue // a null member is not sent, as the SDK leaves it unset
		}
		switch name {
		case "QueueUrl", "MessageBody", "MessageDeduplicationId", "MessageGroupId", "DelaySeconds":
			c.tmp = textOf(c.tmp[:0], v)
			b = appendFormParam(b, name, c.tmp)
		case "MessageAttributes":
			b = appendAttributes(b, &c.tmp, "MessageAttribute.", ".Name", ".Value.", v)
		case "MessageSystemAttributes":
			b = appendAttributes(b, &c.tmp, "MessageSystemAttribute.", ".Name", ".Value.", v)
		default:
			return dst, runtimeFailure("sqs:sendMessage", "have the field '"+name+"', which SQS SendMessage does not take")
		}
	}
	c.body = b
	if err := s.do(ctx, c, optimized); err != nil {
		return dst, err
	}
	body := c.resp.Body()
	dst = append(dst, '{')
	for _, f := range [...]string{"MD5OfMessageAttributes", "MD5OfMessageBody", "MessageId"} {
		if v, ok := awsclient.FindXML(body, f); ok && (len(v) > 0 || f == "MD5OfMessageBody") {
			dst = append(dst, '"')
			dst = append(dst, f...)
			dst = append(dst, `":`...)
			dst = jsonb.AppendQuoted(dst, v)
			dst = append(dst, ',')
		}
	}
	rid, _ := awsclient.FindXML(body, "RequestId")
	dst = appendSdkMetadata(dst, &c.resp, rid)
	if v, ok := awsclient.FindXML(body, "SequenceNumber"); ok && len(v) > 0 {
		dst = append(dst, `,"SequenceNumber":`...)
		dst = jsonb.AppendQuoted(dst, v)
	}
	return append(dst, '}'), nil
}

// appendAttributes appends a map of message attributes
// ({"name": {"DataType": …, "StringValue": …}}) as the query protocol
// flattens it: PREFIX N NAME=name, PREFIX N VALUE Member=value.
func appendAttributes(b []byte, tmp *[]byte, prefix, nameSuffix, valuePrefix string, attrs []byte) []byte {
	var it jsonb.ObjectIter
	it.Reset(attrs)
	n := 0
	var key [64]byte
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		n++
		p := append(key[:0], prefix...)
		p = strconv.AppendInt(p, int64(n), 10)
		base := len(p)
		*tmp = jsonb.AppendUnquoted((*tmp)[:0], k)
		b = appendFormParam(b, jsonb.BytesString(append(p, nameSuffix...)), *tmp)
		var vi jsonb.ObjectIter
		vi.Reset(v)
		for vk, vv, ok := vi.Next(); ok; vk, vv, ok = vi.Next() {
			p = append(append(p[:base], valuePrefix...), keyText(vk)...)
			*tmp = textOf((*tmp)[:0], vv)
			b = appendFormParam(b, jsonb.BytesString(p), *tmp)
		}
	}
	return b
}

// keyText views a raw JSON key as its text when it has no escapes, which
// is every key an AWS parameter has; an escaped key is decoded.
func keyText(k []byte) string {
	body := k[1 : len(k)-1]
	for _, c := range body {
		if c == '\\' {
			return string(jsonb.AppendUnquoted(nil, k))
		}
	}
	return jsonb.BytesString(body)
}
