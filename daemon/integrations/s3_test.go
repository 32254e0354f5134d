package integrations

import (
	"strings"
	"testing"
)

func TestS3Objects(t *testing.T) {
	s := testServices(t, nil, nil)
	bucket := strings.ToLower(uniqueName("bucket"))
	mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:createBucket", `{"Bucket":"`+bucket+`"}`), `{}`)
	put := mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:putObject", `{"Bucket":"`+bucket+`","Key":"dir/a b+c.json","Body":{"Dict":"Value"},"Metadata":{"Owner":"me"}}`), `{}`)
	if put["ETag"] != `"49e31cee5aec8faf3345893addb14346"` {
		t.Errorf("putObject of {\"Dict\":\"Value\"}: %v (want the MD5 of its JSON text as ETag)", put)
	}
	got := mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:getObject", `{"Bucket":"`+bucket+`","Key":"dir/a b+c.json"}`), `{}`)
	if got["Body"] != `{"Dict":"Value"}` || got["ContentLength"] != 16.0 || got["ETag"] == nil || got["Metadata"].(map[string]any)["owner"] != "me" {
		t.Errorf("getObject: %v", got)
	}
	list := mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:listObjectsV2", `{"Bucket":"`+bucket+`","Prefix":"dir/"}`), `{}`)
	if c, _ := list["Contents"].([]any); len(c) != 1 || c[0].(map[string]any)["Key"] != "dir/a b+c.json" || c[0].(map[string]any)["Size"] != 16.0 {
		t.Errorf("listObjectsV2: %v", list)
	}
	mustRun(t, s, task("arn:aws:states:::aws-sdk:s3:deleteObject", `{"Bucket":"`+bucket+`","Key":"dir/a b+c.json"}`), `{}`)

	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:s3:getObject","Parameters":{"Bucket":"` + bucket + `","Key":"dir/a b+c.json"},
	  "Catch":[{"ErrorEquals":["S3.NoSuchKeyException"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	r := runMachine(t, s, def, `{}`)
	if r.Status != "SUCCEEDED" || !strings.Contains(r.Output.(map[string]any)["Cause"].(string), "(Service: S3, Status Code: 404, Request ID: ") {
		t.Errorf("no such key: %+v", r)
	}
	r = runMachine(t, s, task("arn:aws:states:::aws-sdk:s3:listObjects", `{"Bucket":"no-such-bucket-here"}`), `{}`)
	if r.Error != "S3.NoSuchBucketException" || !strings.Contains(r.Cause, ", Extended Request ID: ") {
		t.Errorf("no such bucket: %+v", r)
	}
}
