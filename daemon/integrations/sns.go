package integrations

import "github.com/stepd/stepd/daemon/awsclient"

// snsPublishCall is arn:aws:states:::sns:publish: Publish over the query
// protocol, a non-string Message sent as its JSON text. The result is
// {MessageId, SdkHttpMetadata, SdkResponseMetadata[, SequenceNumber]};
// errors are SNS.* in the AWS SDK for Java 1.x style
// (SNS.NotFoundException for a topic that does not exist).
var snsPublishCall = queryMessage{
	resource: "sns:publish", api: "SNS Publish", service: awsclient.SNS,
	action:     "Action=Publish&Version=2010-03-31",
	shape:      "must be an object with Message and TopicArn, TargetArn or PhoneNumber",
	scalars:    []string{"TopicArn", "TargetArn", "PhoneNumber", "Message", "Subject", "MessageStructure", "MessageDeduplicationId", "MessageGroupId"},
	attributes: []queryAttributes{{"MessageAttributes", "MessageAttributes.entry."}},
	results:    []string{"MessageId"},
	keepEmpty:  "MessageId",
}
