package teststate

import (
	"strconv"
	"strings"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// A Task's mocked result is checked against the output shape of the API
// it stands for, as AWS does with fieldValidationMode: STRICT (the
// default) checks the type of every member the shape knows and that the
// required ones are there; PRESENT checks only the members present; NONE
// checks nothing. Members the shape does not know are accepted in every
// mode. The shapes below are those of the integrations users mock most;
// a result for any other resource is not checked.

type shapeKind uint8

const (
	kindAny shapeKind = iota
	kindString
	kindNumber
	kindBool
	kindList
	kindStruct
	kindMap
)

// shape is an API output shape, reduced to what mock checks need.
type shape struct {
	kind     shapeKind
	minLen   int // strings and blobs
	min, max *float64
	enum     []string
	members  map[string]*shape
	required []string
	item     *shape // lists
}

func str() *shape                  { return &shape{kind: kindString} }
func blob(minLen int) *shape       { return &shape{kind: kindString, minLen: minLen} }
func num() *shape                  { return &shape{kind: kindNumber} }
func boolean() *shape              { return &shape{kind: kindBool} }
func anyValue() *shape             { return &shape{kind: kindAny} }
func mapOf() *shape                { return &shape{kind: kindMap} }
func list(item *shape) *shape      { return &shape{kind: kindList, item: item} }
func enum(values ...string) *shape { return &shape{kind: kindString, enum: values} }

func numRange(lo, hi float64) *shape { return &shape{kind: kindNumber, min: &lo, max: &hi} }

func object(members map[string]*shape, required ...string) *shape {
	return &shape{kind: kindStruct, members: members, required: required}
}

var consumedCapacity = object(map[string]*shape{
	"TableName": str(), "CapacityUnits": num(), "ReadCapacityUnits": num(), "WriteCapacityUnits": num(),
	"Table": mapOf(), "LocalSecondaryIndexes": mapOf(), "GlobalSecondaryIndexes": mapOf(),
})

// mockShapes holds the output shapes by Resource (integration pattern
// suffixes removed).
var mockShapes = map[string]*shape{
	"arn:aws:states:::lambda:invoke": object(map[string]*shape{
		"StatusCode": num(), "FunctionError": str(), "LogResult": str(), "Payload": anyValue(), "ExecutedVersion": str(),
	}),
	"arn:aws:states:::aws-sdk:lambda:getFunction": object(map[string]*shape{
		"Configuration": object(map[string]*shape{
			"FunctionName": str(), "FunctionArn": str(), "Runtime": str(), "Role": str(), "Handler": str(),
			"CodeSize": num(), "Description": str(), "Timeout": numRange(1, 900), "MemorySize": numRange(128, 10240),
			"LastModified": str(), "CodeSha256": str(), "Version": str(), "State": str(), "PackageType": str(),
		}),
		"Code": mapOf(), "Tags": mapOf(), "Concurrency": mapOf(),
	}),
	"arn:aws:states:::aws-sdk:kms:encrypt": object(map[string]*shape{
		"CiphertextBlob": blob(1), "KeyId": str(),
		"EncryptionAlgorithm": enum("SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"),
	}),
	"arn:aws:states:::aws-sdk:s3:getObject": object(map[string]*shape{
		"Body": anyValue(), "ContentLength": num(), "ContentType": str(), "ETag": str(), "LastModified": str(),
		"DeleteMarker": boolean(), "VersionId": str(), "Metadata": mapOf(),
		"StorageClass": enum("STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
			"GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE", "FSX_OPENZFS"),
	}),
	"arn:aws:states:::dynamodb:putItem":    object(map[string]*shape{"Attributes": mapOf(), "ConsumedCapacity": consumedCapacity, "ItemCollectionMetrics": mapOf()}),
	"arn:aws:states:::dynamodb:getItem":    object(map[string]*shape{"Item": mapOf(), "ConsumedCapacity": consumedCapacity}),
	"arn:aws:states:::dynamodb:deleteItem": object(map[string]*shape{"Attributes": mapOf(), "ConsumedCapacity": consumedCapacity, "ItemCollectionMetrics": mapOf()}),
	"arn:aws:states:::dynamodb:updateItem": object(map[string]*shape{"Attributes": mapOf(), "ConsumedCapacity": consumedCapacity, "ItemCollectionMetrics": mapOf()}),
	"arn:aws:states:::events:putEvents": object(map[string]*shape{
		"FailedEntryCount": num(),
		"Entries":          list(object(map[string]*shape{"EventId": str(), "ErrorCode": str(), "ErrorMessage": str()})),
	}),
	"arn:aws:states:::states:startExecution": object(map[string]*shape{"ExecutionArn": str(), "StartDate": str()}, "ExecutionArn", "StartDate"),
	"arn:aws:states:::sqs:sendMessage": object(map[string]*shape{
		"MD5OfMessageBody": str(), "MD5OfMessageAttributes": str(), "MD5OfMessageSystemAttributes": str(),
		"MessageId": str(), "SequenceNumber": str(),
	}),
	"arn:aws:states:::sns:publish": object(map[string]*shape{"MessageId": str(), "SequenceNumber": str()}),
}

// checkMockResult checks a Task's mocked result (compact JSON) against
// the shape of resource's output in the given mode.
func checkMockResult(resource string, result []byte, mode string) *Error {
	if mode == "NONE" {
		return nil
	}
	for _, suffix := range []string{".sync:2", ".sync", ".waitForTaskToken"} {
		resource = strings.TrimSuffix(resource, suffix)
	}
	s := mockShapes[resource]
	if s == nil {
		return nil
	}
	if msg := s.check("", result, mode != "PRESENT"); msg != "" {
		return validation("Mock result schema validation error: " + msg)
	}
	return nil
}

// check returns what is wrong with v (the member name) for s, or "".
func (s *shape) check(name string, v []byte, strict bool) string {
	k := jsonb.KindOf(v)
	field := "Field '" + name + "'"
	switch s.kind {
	case kindString:
		if k != jsonb.KindString {
			return field + " must be a string"
		}
		text := string(jsonb.AppendUnquoted(nil, v))
		if len(text) < s.minLen {
			return field + " is smaller than the minimum length"
		}
		if s.enum != nil {
			for _, e := range s.enum {
				if e == text {
					return ""
				}
			}
			return field + " is not an expected value"
		}
	case kindNumber:
		if k != jsonb.KindNumber {
			return field + " must be a number"
		}
		n, _ := strconv.ParseFloat(string(v), 64)
		if s.min != nil && n < *s.min {
			return field + " is less than the minimum value"
		}
		if s.max != nil && n > *s.max {
			return field + " exceeds the maximum value"
		}
	case kindBool:
		if k != jsonb.KindBool {
			return field + " must be a boolean"
		}
	case kindMap:
		if k != jsonb.KindObject {
			return field + " must be an object"
		}
	case kindList:
		if k != jsonb.KindArray {
			return field + " must be an array"
		}
		var it jsonb.ArrayIter
		it.Reset(v)
		for item, ok := it.Next(); ok; item, ok = it.Next() {
			if msg := s.item.check(name, item, strict); msg != "" {
				return msg
			}
		}
	case kindStruct:
		if k != jsonb.KindObject {
			if name == "" {
				return "The mocked result must be a JSON object"
			}
			return field + " must be an object"
		}
		if strict {
			for _, r := range s.required {
				if jsonb.ObjectGet(v, r) == nil {
					return "Required field '" + r + "' is missing"
				}
			}
		}
		var it jsonb.ObjectIter
		it.Reset(v)
		for key, val, ok := it.Next(); ok; key, val, ok = it.Next() {
			m := string(jsonb.AppendUnquoted(nil, key))
			if ms := s.members[m]; ms != nil {
				if msg := ms.check(m, val, strict); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }
