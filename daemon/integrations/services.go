package integrations

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// StepFunctions runs actions of the node's own AWS Step Functions API in
// process: states:startExecution and aws-sdk:sfn:* call it, so that child
// executions start from the node's registry through the one execute path,
// on whichever node runs the parent. The daemon supplies it.
type StepFunctions interface {
	// Call runs action (StartExecution, StartSyncExecution, …) with the
	// JSON request body as the API takes it and appends the JSON response
	// to dst. An error answer is an *awsclient.APIError with the API's
	// error code, message and HTTP status.
	Call(ctx context.Context, action string, body, dst []byte) ([]byte, error)
}

// ServicesConfig is what Services needs: the AWS client and the node's
// own Step Functions API.
type ServicesConfig struct {
	Client *awsclient.Client
	// StepFunctions runs nested executions; nil fails them with
	// StepFunctions.SdkClientException.
	StepFunctions StepFunctions
}

// Services is the fastpath.Invoker of the Task resources that call AWS
// services. It is safe for concurrent use.
type Services struct {
	c   *awsclient.Client
	sfn StepFunctions
}

var _ fastpath.Invoker = (*Services)(nil)

// NewServices returns the invoker of AWS service integrations.
func NewServices(cfg ServicesConfig) *Services {
	return &Services{c: cfg.Client, sfn: cfg.StepFunctions}
}

// integration is what a Resource after arn:PARTITION:states::: names.
type integration uint8

const (
	notService integration = iota
	sqsSendMessage
	snsPublish
	eventsPutEvents
	dynamoGetItem
	dynamoPutItem
	dynamoUpdateItem
	dynamoDeleteItem
	statesStartExecution
	awsSDK
)

// classify reads a Task Resource. A .waitForTaskToken call is the plain
// call, and so is the .sync or .sync:2 call of states:startExecution: the
// engine then waits for the answer to the Task's token, which the caller
// or the child execution's end gives (fastpath/vm_callback.go,
// fastpath/childexec.go). Other suffixed resources are not served here.
func classify(res string) (integration, string) {
	res = strings.TrimSuffix(res, ".waitForTaskToken")
	if i := strings.LastIndex(res, ".sync"); i > 0 && (res[i:] == ".sync" || res[i:] == ".sync:2") && strings.HasSuffix(res[:i], ":states:::states:startExecution") {
		res = res[:i]
	}
	rest, ok := strings.CutPrefix(res, "arn:")
	if !ok {
		return notService, ""
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return notService, ""
	}
	rest, ok = strings.CutPrefix(rest[i+1:], "states:::")
	if !ok || strings.IndexByte(rest, '.') >= 0 {
		return notService, ""
	}
	switch rest {
	case "sqs:sendMessage":
		return sqsSendMessage, rest
	case "sns:publish":
		return snsPublish, rest
	case "events:putEvents":
		return eventsPutEvents, rest
	case "dynamodb:getItem":
		return dynamoGetItem, rest
	case "dynamodb:putItem":
		return dynamoPutItem, rest
	case "dynamodb:updateItem":
		return dynamoUpdateItem, rest
	case "dynamodb:deleteItem":
		return dynamoDeleteItem, rest
	case "states:startExecution":
		return statesStartExecution, rest
	}
	if a, ok := strings.CutPrefix(rest, "aws-sdk:"); ok && strings.Count(a, ":") == 1 {
		return awsSDK, a
	}
	return notService, ""
}

// Handles reports whether resource is a request-response AWS service call
// that Services runs.
func Handles(resource string) bool {
	k, _ := classify(resource)
	return k != notService
}

// Invoke calls the service task.Resource names with the task's effective
// parameters and appends the result, shaped as AWS Step Functions shapes
// it, to dst.
func (s *Services) Invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	kind, what := classify(task.Resource)
	mark := len(dst)
	var out []byte
	var err error
	switch kind {
	case sqsSendMessage:
		out, err = s.sendQueryMessage(ctx, &sqsSendMessageCall, input, dst)
	case snsPublish:
		out, err = s.sendQueryMessage(ctx, &snsPublishCall, input, dst)
	case eventsPutEvents:
		out, err = s.putEvents(ctx, input, dst)
	case dynamoGetItem:
		out, err = s.dynamo(ctx, "GetItem", input, dst)
	case dynamoPutItem:
		out, err = s.dynamo(ctx, "PutItem", input, dst)
	case dynamoUpdateItem:
		out, err = s.dynamo(ctx, "UpdateItem", input, dst)
	case dynamoDeleteItem:
		out, err = s.dynamo(ctx, "DeleteItem", input, dst)
	case statesStartExecution:
		out, err = s.startExecution(ctx, input, dst)
	case awsSDK:
		svc, action, _ := strings.Cut(what, ":")
		out, err = s.sdkCall(ctx, task, svc, action, input, dst)
	default:
		return nil, dst, Unsupported(task.Resource)
	}
	if err != nil {
		return nil, dst[:mark], err
	}
	if len(out)-mark > fastpath.MaxPayloadBytes {
		svc, _, _ := strings.Cut(what, ":")
		if kind == awsSDK {
			svc = what
		}
		return nil, dst[:mark], &fastpath.Failure{Name: fastpath.ErrDataLimitExceeded, Cause: "The state/task '" + svc + "' returned a result with a size exceeding the maximum number of bytes service limit."}
	}
	return out[mark:], out, nil
}

// Unsupported is the run-time failure of a Task whose resource AWS
// accepts but this build of stepd cannot call.
func Unsupported(resource string) *fastpath.Failure {
	return &fastpath.Failure{Name: fastpath.ErrTaskFailed, Cause: "stepd cannot call the resource " + resource + ": this build has no integration for it; a -mock-config test case can stand in for it"}
}

// call is one request and its answer, pooled.
type call struct {
	req  awsclient.Request
	body []byte
	tmp  []byte
	resp fasthttp.Response
}

var callPool = sync.Pool{New: func() any { return new(call) }}

func acquireCall(svc *awsclient.Service) *call {
	c := callPool.Get().(*call)
	c.req = awsclient.Request{Service: svc, Headers: c.req.Headers[:0], Query: c.req.Query[:0]}
	c.body = c.body[:0]
	return c
}

func releaseCall(c *call) {
	c.resp.Reset()
	if cap(c.body) > 64<<10 { // do not keep one huge payload's buffer for ever
		c.body = nil
	}
	callPool.Put(c)
}

// do sends c and returns nil for a 2xx answer, or the error of the
// given style.
func (s *Services) do(ctx context.Context, c *call, st style) error {
	c.req.Body = c.body
	switch c.req.Service.Protocol {
	case awsclient.Query:
		c.req.ContentType = "application/x-www-form-urlencoded; charset=utf-8"
	case awsclient.JSON10:
		c.req.ContentType = "application/x-amz-json-1.0"
	case awsclient.JSON11:
		c.req.ContentType = "application/x-amz-json-1.1"
	}
	if err := s.c.Do(ctx, &c.req, &c.resp); err != nil {
		return failure(st, c.req.Service, err)
	}
	if c.resp.StatusCode() >= 300 {
		return failure(st, c.req.Service, awsclient.ParseError(c.req.Service, &c.resp))
	}
	return nil
}

// style is the shape of error names and causes: the optimized
// integrations report the AWS SDK for Java 1.x's, aws-sdk:* the 2.x's.
type style uint8

const (
	optimized style = iota
	sdkStyle
)

// naming is how AWS Step Functions names one service's errors.
type naming struct {
	v1Prefix, v1Service, v1Fallback string // DynamoDB, AmazonDynamoDBv2, AmazonDynamoDBException
	v2Prefix                        string // DynamoDb (the fallback is v2Prefix + "Exception")
	// modeled maps the error codes the service's model declares to their
	// exception names; any other code gets the fallback name.
	modeled map[string]string
}

var namings = map[*awsclient.Service]*naming{
	awsclient.DynamoDB: {"DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException", "DynamoDb", exceptions(
		"ConditionalCheckFailedException", "ProvisionedThroughputExceededException", "ResourceNotFoundException",
		"ItemCollectionSizeLimitExceededException", "TransactionConflictException", "RequestLimitExceeded",
		"InternalServerError", "ResourceInUseException", "LimitExceededException", "TransactionCanceledException",
		"TransactionInProgressException", "IdempotentParameterMismatchException", "DuplicateItemException",
		"ReplicatedWriteConflictException", "TableNotFoundException", "TableAlreadyExistsException", "TableInUseException",
		"BackupNotFoundException", "BackupInUseException", "GlobalTableNotFoundException", "InvalidEndpointException",
		"PointInTimeRecoveryUnavailableException", "ContinuousBackupsUnavailableException", "ExportNotFoundException",
		"ImportNotFoundException", "PolicyNotFoundException")},
	awsclient.SQS: {"SQS", "AmazonSQS", "AmazonSQSException", "Sqs", withCodes(exceptions(
		"QueueDoesNotExist", "InvalidMessageContents", "UnsupportedOperation", "QueueDeletedRecently", "QueueNameExists",
		"InvalidAttributeName", "InvalidAttributeValue", "InvalidIdFormat", "MessageNotInflight", "OverLimit",
		"PurgeQueueInProgress", "ReceiptHandleIsInvalid", "TooManyEntriesInBatchRequest", "BatchEntryIdsNotDistinct",
		"BatchRequestTooLong", "EmptyBatchRequest", "InvalidBatchEntryId", "RequestThrottled", "InvalidAddress",
		"InvalidSecurity", "KmsAccessDenied", "KmsDisabled", "KmsInvalidKeyUsage", "KmsInvalidState", "KmsNotFound",
		"KmsOptInRequired", "KmsThrottled", "ResourceNotFoundException"),
		"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExistException",
		"AWS.SimpleQueueService.UnsupportedOperation", "UnsupportedOperationException",
		"AWS.SimpleQueueService.QueueDeletedRecently", "QueueDeletedRecentlyException",
		"QueueAlreadyExists", "QueueNameExistsException",
		"AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequestException",
		"AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinctException",
		"AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequestException",
		"AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgressException",
		"QueueNotFound", "QueueDoesNotExistException")},
	awsclient.SNS: {"SNS", "AmazonSNS", "AmazonSNSException", "Sns", withCodes(exceptions(
		"NotFound", "InvalidParameter", "AuthorizationError", "InternalError", "Throttled", "EndpointDisabled",
		"PlatformApplicationDisabled", "KMSDisabled", "KMSInvalidState", "KMSNotFound", "KMSOptInRequired",
		"KMSThrottling", "KMSAccessDenied", "InvalidSecurity", "ValidationException", "TopicLimitExceeded",
		"SubscriptionLimitExceeded", "FilterPolicyLimitExceeded", "ConcurrentAccess", "StaleTag", "TagLimitExceeded",
		"TagPolicy", "ResourceNotFound", "BatchEntryIdsNotDistinct", "BatchRequestTooLong", "EmptyBatchRequest",
		"InvalidBatchEntryId", "TooManyEntriesInBatchRequest", "VerificationException", "OptedOut", "UserError"),
		"ParameterValueInvalid", "InvalidParameterValueException",
		// goaws's answer for a topic that does not exist (AWS answers NotFound).
		"AWS.SimpleNotificationService.NonExistentTopic", "NotFoundException")},
	awsclient.EventBridge: {"EventBridge", "AmazonEventBridge", "AmazonEventBridgeException", "EventBridge", exceptions(
		"ResourceNotFoundException", "InternalException", "ConcurrentModificationException", "LimitExceededException",
		"ManagedRuleException", "InvalidEventPatternException", "InvalidStateException", "OperationDisabledException",
		"PolicyLengthExceededException", "ResourceAlreadyExistsException", "IllegalStatusException", "AccessDeniedException",
		"ThrottlingException")},
	awsclient.S3: {"S3", "Amazon S3", "AmazonS3Exception", "S3", exceptions(
		"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "BucketAlreadyExists", "BucketAlreadyOwnedByYou",
		"InvalidObjectState", "ObjectAlreadyInActiveTierError", "ObjectNotInActiveTierError", "InvalidRequest",
		"InvalidWriteOffset", "TooManyParts", "EncryptionTypeMismatch", "IdempotencyParameterMismatch")},
	awsclient.Lambda: {"Lambda", "AWSLambda", "AWSLambdaException", "Lambda", exceptions(
		"ResourceNotFoundException", "InvalidParameterValueException", "ServiceException", "TooManyRequestsException",
		"ResourceConflictException", "InvalidRequestContentException", "RequestTooLargeException",
		"UnsupportedMediaTypeException", "ResourceNotReadyException", "InvalidRuntimeException", "CodeStorageExceededException",
		"PreconditionFailedException", "PolicyLengthExceededException", "EC2ThrottledException", "ENILimitReachedException",
		"KMSAccessDeniedException", "KMSDisabledException", "KMSNotFoundException", "SnapStartException")},
	awsclient.SFN: {"StepFunctions", "AWSStepFunctions", "AWSStepFunctionsException", "Sfn", exceptions(
		"StateMachineDoesNotExist", "ExecutionAlreadyExists", "ExecutionDoesNotExist", "ExecutionLimitExceeded",
		"ExecutionNotRedrivable", "InvalidArn", "InvalidDefinition", "InvalidExecutionInput", "InvalidName",
		"InvalidOutput", "InvalidToken", "InvalidLoggingConfiguration", "InvalidTracingConfiguration",
		"MissingRequiredParameter", "ResourceNotFound", "StateMachineAlreadyExists", "StateMachineDeleting",
		"StateMachineLimitExceeded", "StateMachineTypeNotSupported", "TaskDoesNotExist", "TaskTimedOut",
		"TooManyTags", "ValidationException", "ActivityDoesNotExist", "ActivityLimitExceeded", "ConflictException",
		"ServiceQuotaExceededException", "InvalidEncryptionConfiguration", "KmsAccessDeniedException", "KmsThrottlingException",
		"KmsInvalidStateException")},
	awsclient.SecretsManager: {"SecretsManager", "AWSSecretsManager", "AWSSecretsManagerException", "SecretsManager", exceptions(
		"ResourceNotFoundException", "InvalidParameterException", "InvalidRequestException", "InvalidNextTokenException",
		"LimitExceededException", "ResourceExistsException", "MalformedPolicyDocumentException", "EncryptionFailure",
		"DecryptionFailure", "InternalServiceError", "PreconditionNotMetException", "PublicPolicyException")},
	awsclient.SSM: {"Ssm", "AWSSimpleSystemsManagement", "AWSSimpleSystemsManagementException", "Ssm", exceptions(
		"ParameterNotFound", "ParameterAlreadyExists", "ParameterLimitExceeded", "ParameterVersionNotFound",
		"InvalidKeyId", "InternalServerError", "InvalidNextToken", "InvalidFilterKey", "InvalidFilterValue",
		"TooManyUpdates", "HierarchyLevelLimitExceededException", "HierarchyTypeMismatchException",
		"UnsupportedParameterType", "InvalidAllowedPatternException", "ParameterPatternMismatchException",
		"ParameterMaxVersionLimitExceeded", "PoliciesLimitExceededException", "InvalidPolicyTypeException",
		"InvalidPolicyAttributeException", "IncompatiblePolicyException", "InvalidResourceId", "InvalidResourceType",
		"TooManyTagsError")},
}

// exceptions maps each code to its exception name: the code with
// "Exception" appended unless it ends so already.
func exceptions(codes ...string) map[string]string {
	m := make(map[string]string, len(codes))
	for _, c := range codes {
		if strings.HasSuffix(c, "Exception") {
			m[c] = c
		} else {
			m[c] = c + "Exception"
		}
	}
	return m
}

// withCodes adds code, name pairs to m.
func withCodes(m map[string]string, pairs ...string) map[string]string {
	for i := 0; i+1 < len(pairs); i += 2 {
		m[pairs[i]] = pairs[i+1]
	}
	return m
}

// failure turns an error of a call into the failure AWS Step Functions
// reports: context errors pass through (the VM maps them to
// States.Timeout), a call that got no answer is SdkClientException, an
// error answer is named and worded in st's style.
func failure(st style, svc *awsclient.Service, err error) error {
	n := namings[svc]
	prefix := n.v1Prefix
	if st == sdkStyle {
		prefix = n.v2Prefix
	}
	var ce *awsclient.ClientError
	var ae *awsclient.APIError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, awsclient.ErrResponseTooLarge):
		return &fastpath.Failure{Name: fastpath.ErrDataLimitExceeded, Cause: "The state/task '" + svc.EndpointPrefix + "' returned a result with a size exceeding the maximum number of bytes service limit."}
	case errors.As(err, &ce):
		return &fastpath.Failure{Name: prefix + ".SdkClientException", Cause: ce.Msg}
	case errors.As(err, &ae):
	default:
		return &fastpath.Failure{Name: prefix + ".SdkClientException", Cause: err.Error()}
	}
	exc, ok := n.modeled[ae.Code]
	if svc == awsclient.S3 && ae.Code == "NotFound" {
		exc, ok = "NoSuchKeyException", true // HEAD answers carry no code
	}
	rid := ae.RequestID
	var b strings.Builder
	b.WriteString(ae.Message)
	if st == optimized {
		if !ok {
			exc = n.v1Fallback
		}
		if rid == "" {
			rid = "null"
		}
		b.WriteString(" (Service: " + n.v1Service + "; Status Code: " + strconv.Itoa(ae.Status) + "; Error Code: " + ae.Code + "; Request ID: " + rid)
		if svc == awsclient.S3 {
			b.WriteString("; S3 Extended Request ID: " + ae.HostID)
		}
		b.WriteString("; Proxy: null)")
	} else {
		if !ok {
			exc = n.v2Prefix + "Exception"
		}
		if rid == "" {
			rid = "null"
		}
		b.WriteString(" (Service: " + n.v2Prefix + ", Status Code: " + strconv.Itoa(ae.Status) + ", Request ID: " + rid)
		if svc == awsclient.S3 {
			hid := ae.HostID
			if hid == "" {
				hid = "null"
			}
			b.WriteString(", Extended Request ID: " + hid)
		}
		b.WriteString(")")
	}
	return &fastpath.Failure{Name: prefix + "." + exc, Cause: b.String()}
}

// runtimeFailure is a parameter error found before calling: States.Runtime
// naming the state's integration and the problem.
func runtimeFailure(what, msg string) *fastpath.Failure {
	return &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The parameters of the " + what + " task " + msg}
}

// appendSdkMetadata appends the SdkHttpMetadata and SdkResponseMetadata
// members (with a leading comma) that the optimized integrations add to
// results: the answer's headers as AWS SDK for Java 1.x reports them.
func appendSdkMetadata(dst []byte, resp *fasthttp.Response, requestID []byte) []byte {
	dst = append(dst, `"SdkHttpMetadata":{"AllHttpHeaders":{`...)
	first := true
	for k, v := range resp.Header.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonb.AppendQuoted(dst, k)
		dst = append(dst, ":["...)
		dst = jsonb.AppendQuoted(dst, v)
		dst = append(dst, ']')
	}
	dst = append(dst, `},"HttpHeaders":{`...)
	first = true
	for k, v := range resp.Header.All() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = jsonb.AppendQuoted(dst, k)
		dst = append(dst, ':')
		dst = jsonb.AppendQuoted(dst, v)
	}
	dst = append(dst, `},"HttpStatusCode":`...)
	dst = strconv.AppendInt(dst, int64(resp.StatusCode()), 10)
	dst = append(dst, `},"SdkResponseMetadata":{"RequestId":`...)
	if requestID == nil {
		requestID = headerValue(resp, "x-amzn-RequestId")
	}
	dst = jsonb.AppendQuoted(dst, requestID)
	return append(dst, '}')
}

// headerValue returns the first response header called name (any case).
func headerValue(resp *fasthttp.Response, name string) []byte {
	for k, v := range resp.Header.All() {
		if len(k) == len(name) && bytes.EqualFold(k, []byte(name)) {
			return v
		}
	}
	return nil
}

// textOf appends the text a parameter stands for when a service wants a
// string: a JSON string's text, and any other value's JSON text (so that
// an object given as MessageBody is sent as JSON).
func textOf(dst, v []byte) []byte {
	if jsonb.KindOf(v) == jsonb.KindString {
		return jsonb.AppendUnquoted(dst, v)
	}
	return append(dst, v...)
}

// appendFormParam appends &key=value, form-encoded, to a query body.
func appendFormParam(dst []byte, key string, value []byte) []byte {
	dst = append(dst, '&')
	dst = awsclient.AppendURIEncode(dst, key, false)
	dst = append(dst, '=')
	return awsclient.AppendURIEncode(dst, jsonb.BytesString(value), false)
}

// RequestResponse reports whether resource is a request-response service
// integration, arn:PARTITION:states:::SERVICE:ACTION without a .sync or
// .waitForTaskToken suffix: AWS accepts every such resource its
// validation knows, and stepd accepts it too, failing at run time with
// Unsupported when it has no integration for it.
func RequestResponse(resource string) bool {
	rest, ok := strings.CutPrefix(resource, "arn:")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return false
	}
	rest, ok = strings.CutPrefix(rest[i+1:], "states:::")
	return ok && strings.IndexByte(rest, '.') < 0 && strings.IndexByte(rest, ':') > 0
}
