package awsclient

// Protocol is the wire protocol of an AWS service.
type Protocol uint8

// The protocols of the services stepd calls.
const (
	// Query is the form-encoded POST of SQS and SNS, answered in XML.
	Query Protocol = iota + 1
	// JSON10 and JSON11 are POST / with X-Amz-Target and a JSON body.
	JSON10
	JSON11
	// RESTJSON binds members to the method, path, query and headers, with
	// a JSON body (Lambda).
	RESTJSON
	// RESTXML binds members as REST-JSON does, with an XML body (S3).
	RESTXML
)

// Service describes one AWS service: how the SDKs name it (for endpoint
// settings), how requests to it are signed and which protocol it speaks.
// The values below are the only ones; a Service is never built by callers.
type Service struct {
	// SDKID is the service id of the SDKs ("DynamoDB", "Secrets Manager").
	SDKID string
	// EnvID is SDKID as AWS_ENDPOINT_URL_<EnvID> spells it.
	EnvID string
	// ConfigKey is SDKID as a shared config services section spells it.
	ConfigKey string
	// SigningName is the service name in the SigV4 credential scope.
	SigningName string
	// EndpointPrefix is the first label of AWS's host for the service.
	EndpointPrefix string
	// Protocol is the wire protocol stepd speaks to the service.
	Protocol Protocol
	// TargetPrefix is the X-Amz-Target prefix of JSON services.
	TargetPrefix string
	// APIVersion is the Version parameter of query services.
	APIVersion string
	index      int
}

// The services stepd calls. Their order is their index in a Client.
var (
	SQS            = &Service{SDKID: "SQS", EnvID: "SQS", ConfigKey: "sqs", SigningName: "sqs", EndpointPrefix: "sqs", Protocol: Query, APIVersion: "2012-11-05", index: 0}
	SNS            = &Service{SDKID: "SNS", EnvID: "SNS", ConfigKey: "sns", SigningName: "sns", EndpointPrefix: "sns", Protocol: Query, APIVersion: "2010-03-31", index: 1}
	DynamoDB       = &Service{SDKID: "DynamoDB", EnvID: "DYNAMODB", ConfigKey: "dynamodb", SigningName: "dynamodb", EndpointPrefix: "dynamodb", Protocol: JSON10, TargetPrefix: "DynamoDB_20120810", index: 2}
	EventBridge    = &Service{SDKID: "EventBridge", EnvID: "EVENTBRIDGE", ConfigKey: "eventbridge", SigningName: "events", EndpointPrefix: "events", Protocol: JSON11, TargetPrefix: "AWSEvents", index: 3}
	S3             = &Service{SDKID: "S3", EnvID: "S3", ConfigKey: "s3", SigningName: "s3", EndpointPrefix: "s3", Protocol: RESTXML, index: 4}
	Lambda         = &Service{SDKID: "Lambda", EnvID: "LAMBDA", ConfigKey: "lambda", SigningName: "lambda", EndpointPrefix: "lambda", Protocol: RESTJSON, index: 5}
	SFN            = &Service{SDKID: "SFN", EnvID: "SFN", ConfigKey: "sfn", SigningName: "states", EndpointPrefix: "states", Protocol: JSON10, TargetPrefix: "AWSStepFunctions", index: 6}
	SecretsManager = &Service{SDKID: "Secrets Manager", EnvID: "SECRETS_MANAGER", ConfigKey: "secrets_manager", SigningName: "secretsmanager", EndpointPrefix: "secretsmanager", Protocol: JSON11, TargetPrefix: "secretsmanager", index: 7}
	SSM            = &Service{SDKID: "SSM", EnvID: "SSM", ConfigKey: "ssm", SigningName: "ssm", EndpointPrefix: "ssm", Protocol: JSON11, TargetPrefix: "AmazonSSM", index: 8}
)

// Services lists every Service in index order.
var Services = [...]*Service{SQS, SNS, DynamoDB, EventBridge, S3, Lambda, SFN, SecretsManager, SSM}
