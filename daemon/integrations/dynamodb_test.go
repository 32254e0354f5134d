package integrations

import (
	"strings"
	"testing"
	"time"
)

// createTable makes a table with a string hash key "id" and returns its name.
func createTable(t *testing.T, s *Services) string {
	t.Helper()
	name := uniqueName("t")
	mustRun(t, s, task("arn:aws:states:::aws-sdk:dynamodb:createTable", `{"TableName":"`+name+`","KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}`), `{}`)
	waitActive(t, s, name)
	return name
}

// waitActive polls DescribeTable until the table is ACTIVE (dynalite
// makes it so a moment after answering CreateTable).
func waitActive(t testing.TB, s *Services, table string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		r := runMachine(t, s, task("arn:aws:states:::aws-sdk:dynamodb:describeTable", `{"TableName":"`+table+`"}`), `{}`)
		if m, ok := r.Output.(map[string]any); ok && m["Table"].(map[string]any)["TableStatus"] == "ACTIVE" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("table %s is not ACTIVE: %+v", table, r)
		}
	}
}

func TestDynamoDBItems(t *testing.T) {
	s := testServices(t, nil, nil)
	table := createTable(t, s)
	def := `{"StartAt":"Put","States":{
	 "Put":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"` + table + `","Item":{"id":{"S":"o-1"},"total":{"N":"150"}}},"ResultPath":"$.put","Next":"Update"},
	 "Update":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:updateItem","Parameters":{"TableName":"` + table + `","Key":{"id":{"S":"o-1"}},"UpdateExpression":"SET #s = :s","ExpressionAttributeNames":{"#s":"status"},"ExpressionAttributeValues":{":s":{"S":"paid"}},"ReturnValues":"UPDATED_NEW"},"ResultPath":"$.update","Next":"Get"},
	 "Get":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"` + table + `","Key":{"id":{"S":"o-1"}}},"ResultPath":"$.get","Next":"Delete"},
	 "Delete":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:deleteItem","Parameters":{"TableName":"` + table + `","Key":{"id":{"S":"o-1"}},"ReturnValues":"ALL_OLD"},"ResultPath":"$.delete","Next":"GetGone"},
	 "GetGone":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","Parameters":{"TableName":"` + table + `","Key":{"id":{"S":"o-1"}}},"ResultPath":"$.gone","End":true}}}`
	out := mustRun(t, s, def, `{}`)
	if put := out["put"].(map[string]any); put["SdkHttpMetadata"] == nil || put["SdkResponseMetadata"] == nil || len(put) != 2 {
		t.Errorf("putItem result: %v", put)
	}
	if a := out["update"].(map[string]any)["Attributes"].(map[string]any); a["status"].(map[string]any)["S"] != "paid" {
		t.Errorf("updateItem result: %v", out["update"])
	}
	item := out["get"].(map[string]any)["Item"].(map[string]any)
	if item["total"].(map[string]any)["N"] != "150" || item["status"].(map[string]any)["S"] != "paid" {
		t.Errorf("getItem result: %v", out["get"])
	}
	if out["delete"].(map[string]any)["Attributes"] == nil {
		t.Errorf("deleteItem result: %v", out["delete"])
	}
	if gone := out["gone"].(map[string]any); gone["Item"] != nil || gone["SdkHttpMetadata"] == nil {
		t.Errorf("getItem of a deleted item: %v", gone)
	}
}

func TestDynamoDBErrors(t *testing.T) {
	s := testServices(t, nil, nil)
	for _, c := range []struct {
		name, params, error, cause string
	}{
		{"no such table", `{"TableName":"no-such-table","Key":{"id":{"S":"1"}}}`, "DynamoDB.ResourceNotFoundException",
			"Requested resource not found (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ResourceNotFoundException; Request ID: "},
		{"validation", `{"TableName":"/bad","Key":{"id":{"S":"1"}}}`, "DynamoDB.AmazonDynamoDBException",
			"1 validation error detected: Value '/bad' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runMachine(t, s, task("arn:aws:states:::dynamodb:getItem", c.params), `{}`)
			if r.Error != c.error || !strings.HasPrefix(r.Cause, c.cause) || !strings.HasSuffix(r.Cause, "; Proxy: null)") {
				t.Errorf("got %s: %s\nwant %s: %s…", r.Error, r.Cause, c.error, c.cause)
			}
		})
	}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:putItem","Parameters":{"TableName":"no-such-table","Item":{"id":{"S":"1"}}},
	  "Retry":[{"ErrorEquals":["DynamoDB.ResourceNotFoundException"],"MaxAttempts":1}],
	  "Catch":[{"ErrorEquals":["DynamoDB.ResourceNotFoundException"],"Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`
	if r := runMachine(t, s, def, `{}`); r.Status != "SUCCEEDED" || r.Output.(map[string]any)["Error"] != "DynamoDB.ResourceNotFoundException" {
		t.Errorf("catch: %+v", r)
	}
	dead := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": deadPort(t)})
	if r := runMachine(t, dead, task("arn:aws:states:::dynamodb:getItem", `{"TableName":"t","Key":{}}`), `{}`); r.Error != "DynamoDB.SdkClientException" || !strings.HasPrefix(r.Cause, "Unable to execute HTTP request: ") {
		t.Errorf("unreachable: %+v", r)
	}
	// aws-sdk:dynamodb names errors in the newer SDK's style.
	r := runMachine(t, s, task("arn:aws:states:::aws-sdk:dynamodb:putItem", `{"TableName":"no-such-table","Item":{"id":{"S":"1"}}}`), `{}`)
	if r.Error != "DynamoDb.ResourceNotFoundException" || !strings.HasPrefix(r.Cause, "Requested resource not found (Service: DynamoDb, Status Code: 400, Request ID: ") {
		t.Errorf("aws-sdk: %+v", r)
	}
	r = runMachine(t, s, task("arn:aws:states:::aws-sdk:dynamodb:putItem", `{"TableName":"table"}`), `{}`)
	if r.Error != "DynamoDb.DynamoDbException" || !strings.HasPrefix(r.Cause, "1 validation error detected: Value null at 'item' failed to satisfy constraint: Member must not be null (Service: DynamoDb, Status Code: 400, Request ID: ") {
		t.Errorf("aws-sdk validation: %+v", r)
	}
}
