package daemon

import (
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/internal/awserr"
)

// The activity actions of the control plane: CreateActivity,
// DescribeActivity, ListActivities, DeleteActivity. Activities are
// replicated through the cluster like state machines; this node reads
// them from the state its FSM last applied.

// activityEncryption is the only encryption configuration stepd has: the
// one AWS describes when none was asked for.
const activityEncryption = `{"type":"AWS_OWNED_KEY"}`

// encryptionConfiguration is the encryptionConfiguration parameter of
// CreateActivity.
type encryptionConfiguration struct {
	Type     string `json:"type"`
	KmsKeyID string `json:"kmsKeyId"`
}

// check refuses what stepd cannot honour: a customer-managed KMS key.
func (e *encryptionConfiguration) check() *awserr.Error {
	if e == nil || (e.Type == "AWS_OWNED_KEY" && e.KmsKeyID == "") {
		return nil
	}
	if e.Type != "AWS_OWNED_KEY" && e.Type != "CUSTOMER_MANAGED_KMS_KEY" {
		return awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'encryptionConfiguration.type' failed to satisfy constraint: Member must satisfy enum value set: [CUSTOMER_MANAGED_KMS_KEY, AWS_OWNED_KEY]", e.Type)
	}
	return awserr.New("InvalidEncryptionConfiguration", "stepd does not encrypt with customer-managed KMS keys: encryptionConfiguration must be {\"type\":\"AWS_OWNED_KEY\"}")
}

func (s *server) createActivity(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Name       string                   `json:"name"`
		Tags       []tag                    `json:"tags"`
		Encryption *encryptionConfiguration `json:"encryptionConfiguration"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("name", req.Name); err != nil {
		return dst, err
	}
	if !validName(req.Name) {
		return dst, awserr.InvalidName(req.Name)
	}
	if err := req.Encryption.check(); err != nil {
		return dst, err
	}
	res, aerr := s.propose(&cluster.CreateActivity{Activity: &cluster.Activity{
		Arn: s.id.activityArn(req.Name), Name: req.Name, Created: time.Now(), Tags: req.Tags,
	}})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn     string    `json:"activityArn"`
		Created epochTime `json:"creationDate"`
	}{res.Arn, epochTime(res.Date)})
}

// activityByArn finds the activity arn names in the state this node last
// applied.
func (s *server) activityByArn(arn string) (*cluster.Activity, *awserr.Error) {
	if err := required("activityArn", arn); err != nil {
		return nil, err
	}
	name, aerr := s.id.parseActivityArn(arn)
	if aerr != nil {
		return nil, aerr
	}
	if a := s.node.State().Activities[name]; a != nil {
		return a, nil
	}
	return nil, awserr.ActivityDoesNotExist(arn)
}

func (s *server) describeActivity(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"activityArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	a, aerr := s.activityByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn        string          `json:"activityArn"`
		Name       string          `json:"name"`
		Created    epochTime       `json:"creationDate"`
		Encryption json.RawMessage `json:"encryptionConfiguration"`
	}{a.Arn, a.Name, epochTime(a.Created), json.RawMessage(activityEncryption)})
}

func (s *server) listActivities(body, dst []byte) ([]byte, *awserr.Error) {
	var req pageRequest
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	type item struct {
		Arn     string    `json:"activityArn"`
		Name    string    `json:"name"`
		Created epochTime `json:"creationDate"`
	}
	var items []item
	for _, a := range s.node.State().Activities {
		items = append(items, item{a.Arn, a.Name, epochTime(a.Created)})
	}
	sortBy(items, func(i item) string { return i.Name })
	return appendPage(dst, "activities", items, req.NextToken, req.MaxResults)
}

func (s *server) deleteActivity(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"activityArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("activityArn", req.Arn); err != nil {
		return dst, err
	}
	name, aerr := s.id.parseActivityArn(req.Arn)
	if aerr == nil {
		_, aerr = s.propose(&cluster.DeleteActivity{Name: name})
	}
	if aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}
