package inmem_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
	"github.com/returnbot/returnbot/bot/deliver/delivertest"
	"github.com/returnbot/returnbot/bot/inmem"
)

// TestDeliveryQueueContract runs the deliver.Queue contract (two "replicas" share one queue).
func TestDeliveryQueueContract(t *testing.T) {
	delivertest.Run(t, func(t *testing.T) (deliver.Queue, deliver.Queue) {
		q := inmem.NewDeliveryQueue()
		return q, q
	})
}

// TestDeliveryQueueBounded: past its limit the queue refuses items (deliver.ErrFull) and takes
// them again once the runtime has taken some out.
func TestDeliveryQueueBounded(t *testing.T) {
	ctx := context.Background()
	q := inmem.NewDeliveryQueueOf(3)
	for i, u := range []string{"a", "a", "b"} {
		if err := q.Push(ctx, u, []byte{byte(i)}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Push(ctx, "c", []byte("x"), time.Hour); !errors.Is(err, deliver.ErrFull) {
		t.Fatalf("a fourth item: %v, want ErrFull", err)
	}
	if n, err := q.Pop(ctx, "a", []byte{0}); err != nil || n != 1 {
		t.Fatalf("Pop: %d, %v", n, err)
	}
	if n, err := q.Pop(ctx, "a", []byte{9}); err != nil || n != 1 {
		t.Fatalf("Pop of another head: %d, %v (nothing taken)", n, err)
	}
	if err := q.Push(ctx, "c", []byte("x"), time.Hour); err != nil {
		t.Fatalf("after a pop: %v", err)
	}
	if err := q.Push(ctx, "c", []byte("y"), time.Hour); !errors.Is(err, deliver.ErrFull) {
		t.Fatalf("full again: %v, want ErrFull", err)
	}
}
