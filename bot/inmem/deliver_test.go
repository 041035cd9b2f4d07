package inmem_test

import (
	"testing"

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
