package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// activityArn is the ARN stepd gives an activity with its default region
// and account.
func activityArn(name string) string {
	return "arn:aws:states:us-east-1:123456789012:activity:" + name
}

// TestSDKActivities drives the activity control plane through the AWS SDK
// for Go v2: create (idempotent by name, tags kept from the first), an
// invalid name, describe, list with paging, tags, delete (twice) and the
// errors for what is gone, as AWS answers them.
func TestSDKActivities(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)

	first, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("approve.v2"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}})
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	if got := aws.ToString(first.ActivityArn); got != activityArn("approve.v2") {
		t.Errorf("activity ARN %s", got)
	}
	again, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("approve.v2"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("b")}}})
	if err != nil || aws.ToString(again.ActivityArn) != aws.ToString(first.ActivityArn) || !again.CreationDate.Equal(*first.CreationDate) {
		t.Errorf("CreateActivity again: %+v, %v; want the first answer %+v", again, err, first)
	}
	lt, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: first.ActivityArn})
	if err != nil || len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Value) != "a" {
		t.Errorf("tags after an idempotent create: %+v, %v; want team=a", lt, err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: first.ActivityArn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}); err != nil {
		t.Errorf("TagResource on an activity: %v", err)
	}
	if lt, err := c.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: first.ActivityArn}); err != nil || len(lt.Tags) != 2 {
		t.Errorf("tags after TagResource: %+v, %v", lt, err)
	}

	_, err = c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("TestActivity InvalidName$")})
	errorAs[*types.InvalidName](t, err, "Invalid Name: 'TestActivity InvalidName$'")
	_, err = c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("kms"), EncryptionConfiguration: &types.EncryptionConfiguration{Type: types.EncryptionTypeCustomerManagedKmsKey, KmsKeyId: aws.String("k")}})
	errorAs[*types.InvalidEncryptionConfiguration](t, err, "AWS_OWNED_KEY")

	d, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: first.ActivityArn})
	if err != nil || aws.ToString(d.Name) != "approve.v2" || !d.CreationDate.Equal(*first.CreationDate) || d.EncryptionConfiguration == nil || d.EncryptionConfiguration.Type != types.EncryptionTypeAwsOwnedKey {
		t.Errorf("DescribeActivity: %+v, %v", d, err)
	}
	_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(machineArn("x"))})
	errorAs[*types.InvalidArn](t, err, "Invalid Arn")

	for i := range 4 {
		if _, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String(fmt.Sprintf("w%d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	pages := 0
	for pg := sfn.NewListActivitiesPaginator(c, &sfn.ListActivitiesInput{MaxResults: 2}); pg.HasMorePages(); pages++ {
		out, err := pg.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListActivities: %v", err)
		}
		for _, a := range out.Activities {
			names = append(names, aws.ToString(a.Name))
		}
	}
	if fmt.Sprint(names) != "[approve.v2 w0 w1 w2 w3]" || pages != 3 {
		t.Errorf("ListActivities in %d pages: %v", pages, names)
	}

	for range 2 { // deleting what is gone succeeds, as in AWS
		if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: first.ActivityArn}); err != nil {
			t.Errorf("DeleteActivity: %v", err)
		}
	}
	_, err = c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: first.ActivityArn})
	errorAs[*types.ActivityDoesNotExist](t, err, "Activity Does Not Exist: '"+activityArn("approve.v2")+"'")
}

// TestSDKActivityInExpress: an EXPRESS machine cannot use an activity, as
// in AWS, which refuses it at create.
func TestSDKActivityInExpress(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + activityArn("w") + `","End":true}}}`
	_, err := c.CreateStateMachine(testContext(t), &sfn.CreateStateMachineInput{Name: aws.String("x"), Definition: aws.String(def), RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress})
	errorAs[*types.InvalidDefinition](t, err, "Express state machine does not support Activities")
}

// TestClusterActivities: an activity created on a follower is described
// by every node, and a delete on another node reaches them all.
func TestClusterActivities(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	ctx := testContext(t)
	f := others(nodes, leaderOf(t, nodes))[0]
	out, err := f.sfn.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("everywhere")})
	if err != nil {
		t.Fatalf("CreateActivity on a follower: %v", err)
	}
	described := func(want bool) {
		t.Helper()
		for _, n := range nodes {
			waitFor(t, 10*time.Second, 10*time.Millisecond, func() error {
				_, err := n.sfn.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: out.ActivityArn})
				if (err == nil) != want {
					return fmt.Errorf("%s: DescribeActivity: %v", n.id, err)
				}
				return nil
			})
		}
	}
	described(true)
	if _, err := others(nodes, f)[0].sfn.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: out.ActivityArn}); err != nil {
		t.Fatalf("DeleteActivity: %v", err)
	}
	described(false)
}

// TestClusterActivityWorkers: every node lists the waiting tasks (GET
// /v1/tasks); workers poll GetActivityTask on all three nodes of a
// cluster at once; each task goes to exactly one of them, and every
// execution (run by the leader) ends with its worker's answer.
func TestClusterActivityWorkers(t *testing.T) {
	nodes := startE2ECluster(t, 3, "-activity-poll", "1s")
	ctx := testContext(t)
	c := nodes[0].sfn
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	def := `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + aws.ToString(act.ActivityArn) + `","End":true}}}`
	machine := create(t, c, "fanout", types.StateMachineTypeStandard, def)
	const n = 12
	var runs []string
	for i := range n {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(machine), Input: aws.String(fmt.Sprintf(`{"i":%d}`, i))})
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, aws.ToString(out.ExecutionArn))
	}
	// Every node lists the waiting tasks (the console's inbox) from its
	// copy of the durable state: all n, none taken yet.
	for _, node := range nodes {
		waitFor(t, 20*time.Second, 20*time.Millisecond, func() error {
			listed := waitingTasks(t, node.p.url())
			waiting := 0
			for _, task := range listed {
				if task.Status == "WAITING_FOR_WORKER" && task.State == "A" {
					waiting++
				}
			}
			if waiting != n {
				return fmt.Errorf("%s lists %d tasks waiting for a worker, want %d", node.id, waiting, n)
			}
			return nil
		})
	}
	var mu sync.Mutex
	taken := map[string]string{} // input → worker
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := nodes[w%3]
			name := fmt.Sprintf("%s-w%d", node.id, w)
			for {
				mu.Lock()
				done := len(taken) == n
				mu.Unlock()
				if done {
					return
				}
				task, err := node.sfn.GetActivityTask(ctx, &sfn.GetActivityTaskInput{ActivityArn: act.ActivityArn, WorkerName: aws.String(name)})
				if err != nil {
					t.Errorf("%s: GetActivityTask: %v", name, err)
					return
				}
				if task.TaskToken == nil {
					continue
				}
				in := aws.ToString(task.Input)
				mu.Lock()
				if other, dup := taken[in]; dup {
					t.Errorf("task %s went to %s and to %s", in, other, name)
				}
				taken[in] = name
				mu.Unlock()
				if _, err := node.sfn.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: task.TaskToken, Output: aws.String(in)}); err != nil {
					t.Errorf("%s: SendTaskSuccess: %v", name, err)
				}
			}
		}()
	}
	wg.Wait()
	for i, arn := range runs {
		d := describeUntilDone(t, nodes[i%3].sfn, arn, 20*time.Second)
		if want := fmt.Sprintf(`{"i":%d}`, i); d.Status != types.ExecutionStatusSucceeded || aws.ToString(d.Output) != want {
			t.Errorf("execution %d: %s %s, want SUCCEEDED %s", i, d.Status, aws.ToString(d.Output), want)
		}
	}
	t.Logf("tasks by worker: %v", taken)
}
