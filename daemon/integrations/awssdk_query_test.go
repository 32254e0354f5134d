package integrations

import (
	"testing"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// TestFlattenQuery checks how aws-sdk parameters become query-protocol
// form fields: SQS's flattened maps, lists and batch entries, SNS's
// entry/member wrapping, nested structures.
func TestFlattenQuery(t *testing.T) {
	for _, c := range []struct {
		svc       *awsclient.Service
		op, input string
		want      string
	}{
		{awsclient.SQS, "CreateQueue", `{"QueueName":"q","Attributes":{"DelaySeconds":"5"},"tags":null}`,
			"&QueueName=q&Attribute.1.Name=DelaySeconds&Attribute.1.Value=5"},
		{awsclient.SQS, "ReceiveMessage", `{"QueueUrl":"u","MaxNumberOfMessages":2,"MessageAttributeNames":["All"]}`,
			"&QueueUrl=u&MaxNumberOfMessages=2&MessageAttributeName.1=All"},
		{awsclient.SQS, "SendMessage", `{"MessageAttributes":{"k":{"DataType":"String","StringValue":"v"}}}`,
			"&MessageAttribute.1.Name=k&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v"},
		{awsclient.SQS, "SendMessageBatch", `{"Entries":[{"Id":"1","MessageBody":"a b"}]}`,
			"&SendMessageBatchRequestEntry.1.Id=1&SendMessageBatchRequestEntry.1.MessageBody=a%20b"},
		{awsclient.SNS, "CreateTopic", `{"Name":"t","Attributes":{"FifoTopic":"true"},"Tags":[{"Key":"k","Value":"v"}]}`,
			"&Name=t&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true&Tags.member.1.Key=k&Tags.member.1.Value=v"},
		{awsclient.SNS, "Publish", `{"Message":{"a":1},"MessageAttributes":{"n":{"DataType":"Number","StringValue":"1"}}}`,
			"&Message=%7B%22a%22%3A1%7D&MessageAttributes.entry.1.Name=n&MessageAttributes.entry.1.Value.DataType=Number&MessageAttributes.entry.1.Value.StringValue=1"},
	} {
		var b []byte
		var it jsonb.ObjectIter
		it.Reset([]byte(c.input))
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			b = flattenQuery(b, c.svc, c.op, keyText(k), v)
		}
		if string(b) != c.want {
			t.Errorf("%s %s:\n got  %s\n want %s", c.svc.SDKID, c.op, b, c.want)
		}
	}
}

// TestXMLResults checks the JSON that query and REST-XML answers become.
func TestXMLResults(t *testing.T) {
	for _, c := range []struct {
		name string
		svc  *awsclient.Service
		xml  string
		want string
	}{
		{"sqs receiveMessage", awsclient.SQS, `<ReceiveMessageResult><Message><MessageId>m</MessageId><Body>{&quot;a&quot;:1}</Body><Attribute><Name>SenderId</Name><Value>s</Value></Attribute><MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue><DataType>String</DataType></Value></MessageAttribute></Message></ReceiveMessageResult>`,
			`{"Messages":[{"MessageId":"m","Body":"{\"a\":1}","Attributes":{"SenderId":"s"},"MessageAttributes":{"k":{"StringValue":"v","DataType":"String"}}}]}`},
		{"sqs listQueues", awsclient.SQS, `<ListQueuesResult><QueueUrl>u1</QueueUrl></ListQueuesResult>`, `{"QueueUrls":["u1"]}`},
		{"sqs createQueue", awsclient.SQS, `<CreateQueueResult><QueueUrl>u1</QueueUrl></CreateQueueResult>`, `{"QueueUrl":"u1"}`},
		{"sns listTopics", awsclient.SNS, `<ListTopicsResult><Topics><member><TopicArn>a</TopicArn></member></Topics></ListTopicsResult>`, `{"Topics":[{"TopicArn":"a"}]}`},
		{"sns getTopicAttributes", awsclient.SNS, `<GetTopicAttributesResult><Attributes><entry><key>Owner</key><value>1</value></entry></Attributes></GetTopicAttributesResult>`, `{"Attributes":{"Owner":"1"}}`},
		{"s3 listBuckets", awsclient.S3, `<ListAllMyBucketsResult><Buckets><Bucket><Name>b</Name></Bucket></Buckets></ListAllMyBucketsResult>`, `{"Buckets":[{"Name":"b"}]}`},
		{"s3 listObjectsV2", awsclient.S3, `<ListBucketResult><Name>b</Name><KeyCount>1</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>k</Key><Size>3</Size></Contents></ListBucketResult>`,
			`{"Name":"b","KeyCount":1,"IsTruncated":false,"Contents":[{"Key":"k","Size":3}]}`},
	} {
		root := awsclient.ParseXML([]byte(c.xml))
		if got := string(appendXMLObject(nil, root, c.svc)); got != c.want {
			t.Errorf("%s:\n got  %s\n want %s", c.name, got, c.want)
		}
	}
}
