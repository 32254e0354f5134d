package daemon

import (
	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/internal/awserr"
)

// The tag actions: TagResource, UntagResource, ListTagsForResource.

// taggable finds what a tag action's ARN names in snap: a state machine
// (returned by name) or an alias.
func (s *server) taggable(snap *snapshot, arn string) (string, *alias, *awserr.Error) {
	if err := required("resourceArn", arn); err != nil {
		return "", nil, err
	}
	name, qualifier, aerr := s.id.parseMachineArn(arn)
	switch {
	case aerr != nil:
		return "", nil, aerr
	case qualifier == "" && snap.machines[name] != nil:
		return name, nil, nil
	case snap.aliases[arn] != nil:
		return "", snap.aliases[arn], nil
	}
	return "", nil, awserr.ResourceNotFound(arn)
}

// taggableArn names what a tag write changes: the state machine or the
// alias arn names (Apply finds which, and answers ResourceNotFound for
// anything else).
func (s *server) taggableArn(arn string) (cluster.Taggable, *awserr.Error) {
	if err := required("resourceArn", arn); err != nil {
		return cluster.Taggable{}, err
	}
	if name, aerr := s.id.parseActivityArn(arn); aerr == nil {
		return cluster.Taggable{Arn: arn, Name: name, Activity: true}, nil
	}
	name, qualifier, aerr := s.id.parseMachineArn(arn)
	return cluster.Taggable{Arn: arn, Name: name, Qualified: qualifier != ""}, aerr
}

func (s *server) tagResource(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn  string `json:"resourceArn"`
		Tags []tag  `json:"tags"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	t, aerr := s.taggableArn(req.Arn)
	if aerr == nil {
		_, aerr = s.propose(&cluster.TagResource{Taggable: t, Tags: req.Tags})
	}
	if aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) untagResource(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn  string   `json:"resourceArn"`
		Keys []string `json:"tagKeys"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	t, aerr := s.taggableArn(req.Arn)
	if aerr == nil {
		_, aerr = s.propose(&cluster.UntagResource{Taggable: t, Keys: req.Keys})
	}
	if aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

func (s *server) listTags(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"resourceArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if _, aerr := s.id.parseActivityArn(req.Arn); aerr == nil {
		a, aerr := s.activityByArn(req.Arn)
		if aerr != nil {
			return dst, awserr.ResourceNotFound(req.Arn)
		}
		return encodeTags(dst, a.Tags)
	}
	snap := s.reg.snap.Load()
	name, a, aerr := s.taggable(snap, req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	if a != nil {
		return encodeTags(dst, a.Tags)
	}
	return encodeTags(dst, snap.machines[name].Tags)
}

// encodeTags appends ListTagsForResource's answer: tags, [] for none.
func encodeTags(dst []byte, tags []tag) ([]byte, *awserr.Error) {
	if tags == nil {
		tags = []tag{}
	}
	return encode(dst, struct {
		Tags []tag `json:"tags"`
	}{tags})
}
