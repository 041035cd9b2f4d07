package inmem_test

import (
	"testing"

	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/bot/staff/stafftest"
)

func TestStaffContract(t *testing.T) {
	stafftest.Run(t, func(t *testing.T) staff.Store { return inmem.NewStaff() })
}
