package awsclient

import (
	"context"
	"os"
	"strings"
	"testing"
)

// TestResolveEndpoint checks the order the AWS SDKs document: an explicit
// override, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the shared
// config's services section, its endpoint_url, then AWS's endpoint.
func TestResolveEndpoint(t *testing.T) {
	shared := endpointSources{services: map[string]string{"dynamodb": "http://shared-ddb:1", "secrets_manager": "http://shared-sm:2"}, global: "http://shared-global:3"}
	for _, c := range []struct {
		name     string
		svc      *Service
		region   string
		override string
		env      map[string]string
		src      endpointSources
		want     string // URL, or "error: …" substring
	}{
		{"aws", SQS, "eu-west-1", "", nil, endpointSources{}, "https://sqs.eu-west-1.amazonaws.com"},
		{"aws china", S3, "cn-north-1", "", nil, endpointSources{}, "https://s3.cn-north-1.amazonaws.com.cn"},
		{"step functions is states", SFN, "us-east-1", "", nil, endpointSources{}, "https://states.us-east-1.amazonaws.com"},
		{"override first", Lambda, "us-east-1", "http://rie:9000", map[string]string{"AWS_ENDPOINT_URL_LAMBDA": "http://env:1"}, shared, "http://rie:9000"},
		{"service env", DynamoDB, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:4567/", "AWS_ENDPOINT_URL": "http://global:1"}, shared, "http://127.0.0.1:4567"},
		{"global env before shared", DynamoDB, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL": "http://global:1"}, shared, "http://global:1"},
		{"shared services section", SecretsManager, "us-east-1", "", nil, shared, "http://shared-sm:2"},
		{"shared endpoint_url", SSM, "us-east-1", "", nil, shared, "http://shared-global:3"},
		{"env id with underscore", SecretsManager, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://sm:1"}, endpointSources{}, "http://sm:1"},
		{"ignored settings", DynamoDB, "us-west-2", "", map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://x:1", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, shared, "https://dynamodb.us-west-2.amazonaws.com"},
		{"path kept", S3, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL_S3": "https://gw.example.com/s3/"}, endpointSources{}, "https://gw.example.com/s3"},
		{"not a URL", SQS, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL_SQS": "127.0.0.1:4100"}, endpointSources{}, "error: AWS_ENDPOINT_URL_SQS"},
		{"user info refused", SQS, "us-east-1", "", map[string]string{"AWS_ENDPOINT_URL_SQS": "http://u:p@h:1"}, endpointSources{}, "error: AWS_ENDPOINT_URL_SQS"},
		{"no region", SQS, "", "", nil, endpointSources{}, "error: no region"},
		{"bad region", SQS, "us-east-1.evil.com/", "", nil, endpointSources{}, "error: is not a region"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ep, err := resolveEndpoint(c.svc, c.region, c.override, func(k string) string { return c.env[k] }, c.src)
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("got %v %v, want an error with %q", ep.URL(), err, want)
				}
				return
			}
			if err != nil || ep.URL() != c.want {
				t.Errorf("got %s %v, want %s", ep.URL(), err, c.want)
			}
			if ep.Overridden != !strings.Contains(c.want, "amazonaws.com") {
				t.Errorf("Overridden = %v", ep.Overridden)
			}
		})
	}
}

// TestSharedConfigServices reads a real shared config file: the
// profile's services section names the DynamoDB endpoint, its
// endpoint_url the others.
func TestSharedConfigServices(t *testing.T) {
	dir := t.TempDir()
	file := dir + "/config"
	conf := "[default]\nregion = eu-central-1\nservices = local\nendpoint_url = http://everything:1\n\n[services local]\ndynamodb =\n  endpoint_url = http://dynalite:4567\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", file)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/none")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	c, err := New(context.Background(), Config{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if c.Region() != "eu-central-1" {
		t.Errorf("region %q, want the profile's", c.Region())
	}
	for svc, want := range map[*Service]string{DynamoDB: "http://dynalite:4567", SQS: "http://everything:1"} {
		if ep, err := c.Endpoint(svc); err != nil || ep.URL() != want {
			t.Errorf("%s: %s %v, want %s", svc.SDKID, ep.URL(), err, want)
		}
	}
}
