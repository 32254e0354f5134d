package cluster

import (
	"time"

	"github.com/stepd/stepd/internal/awserr"
)

// Activity is one activity: a named queue of Tasks that workers take with
// GetActivityTask. Like a Machine, an Activity reachable from a State is
// immutable.
type Activity struct {
	Arn     string    `json:"arn"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
	Tags    []Tag     `json:"tags,omitempty"`
}

// CreateActivity is CreateActivity. It is idempotent by name, as in AWS:
// creating an activity whose name exists answers the existing one and
// leaves its tags unchanged.
type CreateActivity struct {
	Activity *Activity `json:"activity"` // Created set by the proposer
}

func (*CreateActivity) kind() cmdType { return cmdCreateActivity }

func (c *CreateActivity) apply(s *State) Result {
	if c.Activity == nil {
		return errMissing("activity")
	}
	if old := s.Activities[c.Activity.Name]; old != nil {
		return Result{Arn: old.Arn, Date: old.Created}
	}
	if len(c.Activity.Tags) > MaxTags {
		return errorf("TooManyTags", "Too many tags: a resource can have at most %d", MaxTags)
	}
	a := *c.Activity
	s.Activities[a.Name] = &a
	return Result{Arn: a.Arn, Date: a.Created}
}

// DeleteActivity is DeleteActivity. Deleting an activity that is gone
// already succeeds, as in AWS.
type DeleteActivity struct {
	Name string `json:"name"`
}

func (*DeleteActivity) kind() cmdType { return cmdDeleteActivity }

func (c *DeleteActivity) apply(s *State) Result {
	delete(s.Activities, c.Name)
	return Result{}
}

// activityTags replaces the tags of the activity t names with fn's result.
func (t *Taggable) activityTags(s *State, fn func([]Tag) ([]Tag, *Result)) Result {
	old := s.Activities[t.Name]
	if old == nil {
		return Result{Err: awserr.ResourceNotFound(t.Arn)}
	}
	a := *old
	tags, r := fn(a.Tags)
	if r != nil {
		return *r
	}
	a.Tags = tags
	s.Activities[a.Name] = &a
	return Result{}
}
