package daemon

import (
	"strconv"
	"time"

	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// The Map Run actions: DescribeMapRun, ListMapRuns, UpdateMapRun, over
// the Map Runs the executor keeps (maprun.go).

// mapRunByArn finds the Map Run arn names: InvalidArn for what is not a
// Map Run ARN, ResourceNotFound for a run this node does not know.
func (s *server) mapRunByArn(arn string) (*fastpath.MapRun, *awserr.Error) {
	if err := required("mapRunArn", arn); err != nil {
		return nil, err
	}
	if err := s.id.parseMapRunArn(arn); err != nil {
		return nil, err
	}
	run := s.findMapRun(arn)
	if run == nil {
		return nil, awserr.ResourceNotFound(arn)
	}
	return run, nil
}

// mapRunCounts is MapRunItemCounts or MapRunExecutionCounts.
type mapRunCounts struct {
	Pending               int64 `json:"pending"`
	Running               int64 `json:"running"`
	Succeeded             int64 `json:"succeeded"`
	Failed                int64 `json:"failed"`
	TimedOut              int64 `json:"timedOut"`
	Aborted               int64 `json:"aborted"`
	Total                 int64 `json:"total"`
	ResultsWritten        int64 `json:"resultsWritten"`
	FailuresNotRedrivable int64 `json:"failuresNotRedrivable"`
	PendingRedrive        int64 `json:"pendingRedrive"`
}

func countsOf(c fastpath.MapRunCounts) mapRunCounts {
	return mapRunCounts{Pending: c.Pending, Running: c.Running, Succeeded: c.Succeeded, Failed: c.Failed,
		TimedOut: c.TimedOut, Aborted: c.Aborted, Total: c.Total, ResultsWritten: c.ResultsWritten}
}

func (s *server) describeMapRun(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"mapRunArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	run, aerr := s.mapRunByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	st := s.mapRunState(run)
	out := struct {
		Arn              string       `json:"mapRunArn"`
		ExecutionArn     string       `json:"executionArn"`
		Status           string       `json:"status"`
		Start            epochTime    `json:"startDate"`
		Stop             *epochTime   `json:"stopDate,omitempty"`
		MaxConcurrency   int          `json:"maxConcurrency"`
		ToleratedPercent float64      `json:"toleratedFailurePercentage"`
		ToleratedCount   int64        `json:"toleratedFailureCount"`
		Items            mapRunCounts `json:"itemCounts"`
		Executions       mapRunCounts `json:"executionCounts"`
		RedriveCount     int          `json:"redriveCount"`
		RedriveDate      *epochTime   `json:"redriveDate,omitempty"`
	}{Arn: run.Arn, ExecutionArn: run.ExecutionArn, Status: st.Status, Start: epochTime(run.Start),
		MaxConcurrency: st.MaxConcurrency, ToleratedCount: max(st.ToleratedCount, 0),
		Items: countsOf(st.Items), Executions: countsOf(st.Executions)}
	if st.HasPercent {
		out.ToleratedPercent = st.ToleratedPercent
	}
	if !st.Stop.IsZero() {
		stop := epochTime(st.Stop)
		out.Stop = &stop
	}
	if e, ok := s.node.Executions().Get(run.ExecutionArn); ok { // a STANDARD parent, which a redrive resumes
		var last time.Time
		if out.RedriveCount, last = durable.MapRunRedrives(&e, run.Arn); out.RedriveCount > 0 {
			date := epochTime(last)
			out.RedriveDate = &date
		}
	}
	return encode(dst, out)
}

func (s *server) listMapRuns(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"executionArn"`
		pageRequest
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if _, aerr := s.executionByArn(req.Arn); aerr != nil {
		return dst, aerr
	}
	type item struct {
		ExecutionArn    string     `json:"executionArn"`
		Arn             string     `json:"mapRunArn"`
		StateMachineArn string     `json:"stateMachineArn"`
		Start           epochTime  `json:"startDate"`
		Stop            *epochTime `json:"stopDate,omitempty"`
	}
	var items []item
	for _, run := range s.mapRunsOf(req.Arn) {
		it := item{ExecutionArn: run.ExecutionArn, Arn: run.Arn, StateMachineArn: run.StateMachineArn, Start: epochTime(run.Start)}
		if stop := s.mapRunState(run).Stop; !stop.IsZero() {
			e := epochTime(stop)
			it.Stop = &e
		}
		items = append(items, it)
	}
	return appendPage(dst, "mapRuns", items, req.NextToken, req.MaxResults)
}

func (s *server) updateMapRun(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn              string   `json:"mapRunArn"`
		MaxConcurrency   *int     `json:"maxConcurrency"`
		ToleratedCount   *int64   `json:"toleratedFailureCount"`
		ToleratedPercent *float64 `json:"toleratedFailurePercentage"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	switch {
	case req.MaxConcurrency != nil && *req.MaxConcurrency < 0:
		return dst, atLeastZero(strconv.Itoa(*req.MaxConcurrency), "maxConcurrency")
	case req.ToleratedCount != nil && *req.ToleratedCount < 0:
		return dst, atLeastZero(strconv.FormatInt(*req.ToleratedCount, 10), "toleratedFailureCount")
	case req.ToleratedPercent != nil && (*req.ToleratedPercent < 0 || *req.ToleratedPercent > 100):
		return dst, awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value between 0 and 100",
			strconv.FormatFloat(*req.ToleratedPercent, 'g', -1, 64))
	case req.MaxConcurrency == nil && req.ToleratedCount == nil && req.ToleratedPercent == nil:
		return dst, awserr.New("ValidationException", "At least one of maxConcurrency, toleratedFailureCount or toleratedFailurePercentage must be given")
	}
	run, aerr := s.mapRunByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	u := fastpath.MapRunUpdate{MaxConcurrency: req.MaxConcurrency, ToleratedCount: req.ToleratedCount, ToleratedPercent: req.ToleratedPercent}
	if aerr := s.updateDurable(run, u); aerr != nil {
		return dst, aerr
	}
	run.Update(u)
	return append(dst, "{}"...), nil
}

// atLeastZero is AWS's ValidationException for a negative field.
func atLeastZero(value, field string) *awserr.Error {
	return awserr.New("ValidationException", "1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must have value greater than or equal to 0", value, field)
}
