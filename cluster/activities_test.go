package cluster

import (
	"testing"
	"time"
)

const testActivityArn = "arn:aws:states:us-east-1:123456789012:activity:"

func TestActivityCommands(t *testing.T) {
	s := emptyState()
	later := t0.Add(time.Hour)
	for _, tc := range []struct {
		name    string
		cmd     Command
		wantErr string
		wantArn string
		want    time.Time
	}{
		{"create", &CreateActivity{Activity: &Activity{Arn: testActivityArn + "a", Name: "a", Created: t0, Tags: []Tag{{"k", "v"}}}}, "", testActivityArn + "a", t0},
		{"create again answers the first", &CreateActivity{Activity: &Activity{Arn: testActivityArn + "a", Name: "a", Created: later, Tags: []Tag{{"k", "other"}}}}, "", testActivityArn + "a", t0},
		{"too many tags", &CreateActivity{Activity: &Activity{Arn: testActivityArn + "b", Name: "b", Tags: make([]Tag, MaxTags+1)}}, "TooManyTags", "", time.Time{}},
		{"missing activity", &CreateActivity{}, "InternalFailure", "", time.Time{}},
		{"tag a missing activity", &TagResource{Taggable: Taggable{Arn: testActivityArn + "x", Name: "x", Activity: true}}, "ResourceNotFound", "", time.Time{}},
		{"delete", &DeleteActivity{Name: "a"}, "", "", time.Time{}},
		{"delete again", &DeleteActivity{Name: "a"}, "", "", time.Time{}},
	} {
		r := tc.cmd.apply(s)
		switch {
		case tc.wantErr != "" && (r.Err == nil || r.Err.Code != tc.wantErr):
			t.Errorf("%s: error %v, want %s", tc.name, r.Err, tc.wantErr)
		case tc.wantErr == "" && r.Err != nil:
			t.Errorf("%s: %v", tc.name, r.Err)
		case r.Arn != tc.wantArn || !r.Date.Equal(tc.want):
			t.Errorf("%s: answered %s created %v, want %s created %v", tc.name, r.Arn, r.Date, tc.wantArn, tc.want)
		}
		if tc.name == "create again answers the first" && s.Activities["a"].Tags[0].Value != "v" {
			t.Errorf("%s: tags changed to %v", tc.name, s.Activities["a"].Tags)
		}
	}
	if len(s.Activities) != 0 {
		t.Errorf("activities left after delete: %v", s.Activities)
	}
}
