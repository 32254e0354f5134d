package e2e

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// TestClusterNestedExecutions runs a parent that starts its child with
// aws-sdk:sfn:startSyncExecution on each node of a three-node cluster:
// the child is created through one node and runs in process on whichever
// node runs the parent, from that node's replicated registry.
func TestClusterNestedExecutions(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	create(t, nodes[0].sfn, "nested-child", types.StateMachineTypeExpress, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"seen.$":"$.n"},"End":true}}}`)
	create(t, nodes[1].sfn, "nested-parent", types.StateMachineTypeExpress, `{"StartAt":"Call","States":{"Call":{"Type":"Task",
	  "Resource":"arn:aws:states:::aws-sdk:sfn:startSyncExecution","Parameters":{"StateMachineArn":"`+machineArn("nested-child")+`","Input.$":"$"},
	  "ResultSelector":{"Output.$":"States.StringToJson($.Output)"},"End":true}}}`)
	ctx := testContext(t)
	for i, n := range nodes {
		want := fmt.Sprintf(`{"Output":{"seen":%d}}`, i)
		waitFor(t, 10*time.Second, 2*time.Millisecond, func() error {
			out, err := n.sfn.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machineArn("nested-parent")), Input: aws.String(fmt.Sprintf(`{"n":%d}`, i))})
			if err != nil {
				return err
			}
			if out.Status != types.SyncExecutionStatusSucceeded {
				return fmt.Errorf("on %s: %s %s %s", n.id, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
			}
			var got, w any
			_ = json.Unmarshal([]byte(aws.ToString(out.Output)), &got)
			_ = json.Unmarshal([]byte(want), &w)
			if fmt.Sprint(got) != fmt.Sprint(w) {
				return fmt.Errorf("on %s: output %s, want %s", n.id, aws.ToString(out.Output), want)
			}
			return nil
		})
	}
}
