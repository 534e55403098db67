package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/types"
)

// registerInput is one operation on the register (ConfigMap "reg", data v).
type registerInput struct {
	op       string // "read", "write", "cas"
	expected string // cas
	value    string // write, cas
}

type registerOutput struct {
	value   string // read
	ok      bool   // cas
	unknown bool   // the outcome of a write or cas is unknown
}

var registerModel = porcupine.Model{
	Init: func() any { return "0" },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(string), input.(registerInput), output.(registerOutput)
		switch in.op {
		case "read":
			return out.value == s, s
		case "write":
			return true, in.value
		default: // cas
			if out.unknown {
				if s == in.expected {
					return true, in.value
				}
				return true, s
			}
			if out.ok {
				return s == in.expected, in.value
			}
			return s != in.expected, s
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(registerInput), output.(registerOutput)
		return fmt.Sprintf("%s(%s,%s) -> %+v", in.op, in.expected, in.value, out)
	},
}

// definite reports whether err means the write certainly did not happen.
func definite(err error) bool {
	return errors.Is(err, store.ErrNotLeader) || errors.Is(err, store.ErrConflict) ||
		errors.Is(err, store.ErrClosed) && !errors.Is(err, store.ErrTimeout)
}

// TestLinearizableRegister records reads, writes and compare-and-swaps from
// several clients on several members while the leader is killed and
// restarted, and checks the history with porcupine.
func TestLinearizableRegister(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test")
	}
	c := newCluster(t, 3, func(i int, cfg *store.Config) { cfg.ForwardTimeout = 2 * time.Second })
	l := c.waitLeader()
	if _, err := c.db(l).Create(ctxTimeout(t, 5*time.Second), cmObj("reg", map[string]string{"v": "0"})); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var (
		mu      sync.Mutex
		history []porcupine.Operation
		uniq    atomic.Int64
		wg      sync.WaitGroup
	)
	record := func(client int, in registerInput, call int64, out registerOutput, ret int64) {
		mu.Lock()
		history = append(history, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
		mu.Unlock()
	}
	stop := make(chan struct{})
	for client := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(client), 7))
			last := "0"
			for {
				select {
				case <-stop:
					return
				default:
				}
				db := c.db(rnd.IntN(3))
				if db == nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				call := now()
				switch rnd.IntN(3) {
				case 0:
					obj, err := db.Get(ctx, "ConfigMap", "default", "reg")
					if err == nil {
						last = obj.(*types.ConfigMap).Data["v"]
						record(client, registerInput{op: "read"}, call, registerOutput{value: last}, now())
					}
				case 1:
					v := fmt.Sprint(uniq.Add(1))
					_, err := db.Update(ctx, cmObj("reg", map[string]string{"v": v}))
					in := registerInput{op: "write", value: v}
					switch {
					case err == nil:
						record(client, in, call, registerOutput{}, now())
					case !definite(err):
						record(client, in, call, registerOutput{unknown: true}, math.MaxInt64)
					}
				default:
					v := fmt.Sprint(uniq.Add(1))
					in := registerInput{op: "cas", expected: last, value: v}
					obj, err := db.Get(ctx, "ConfigMap", "default", "reg")
					if err != nil {
						break
					}
					cur := obj.(*types.ConfigMap)
					if cur.Data["v"] != last {
						record(client, in, call, registerOutput{ok: false}, now())
						last = cur.Data["v"]
						break
					}
					cur.Data["v"] = v
					_, err = db.Update(ctx, cur)
					switch {
					case err == nil:
						record(client, in, call, registerOutput{ok: true}, now())
						last = v
					case errors.Is(err, store.ErrConflict):
						record(client, in, call, registerOutput{ok: false}, now())
					case !definite(err):
						record(client, in, call, registerOutput{unknown: true}, math.MaxInt64)
					}
				}
				cancel()
			}
		}()
	}
	for range 2 {
		time.Sleep(400 * time.Millisecond)
		l := c.waitLeader()
		c.stop(l)
		time.Sleep(400 * time.Millisecond)
		c.start(l)
	}
	time.Sleep(400 * time.Millisecond)
	close(stop)
	wg.Wait()
	res, info := porcupine.CheckOperationsVerbose(registerModel, history, 60*time.Second)
	if res == porcupine.Illegal {
		_ = info
		t.Fatalf("history of %d operations is not linearizable", len(history))
	}
	if res == porcupine.Unknown {
		t.Logf("porcupine timed out on %d operations", len(history))
	}
	t.Logf("%d operations checked: %v", len(history), res)
}
