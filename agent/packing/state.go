package packing

import (
	"errors"
	"fmt"

	"github.com/packline/packline/agent/order"
)

// ErrIllegalTransition means a state change the pack flow does not allow.
var ErrIllegalTransition = errors.New("illegal state change")

// transitions is the pack flow: pulled → claimed → verified → weighed →
// label_bought → label_printed → dispatched, with the exits cancelled,
// exception and staged. Release sends an unfinished order back to pulled; a
// lead's override sends an exception back to where it stopped or on to
// weighed.
var transitions = map[order.State][]order.State{
	order.Pulled:       {order.Claimed, order.Cancelled, order.Exception},
	order.Claimed:      {order.Verified, order.Pulled, order.Cancelled, order.Exception},
	order.Verified:     {order.Weighed, order.Claimed, order.Pulled, order.Cancelled, order.Exception},
	order.Weighed:      {order.LabelBought, order.Staged, order.Cancelled, order.Exception},
	order.Staged:       {order.LabelBought, order.Weighed, order.Cancelled, order.Exception},
	order.LabelBought:  {order.LabelPrinted, order.Cancelled, order.Exception},
	order.LabelPrinted: {order.Dispatched},
	order.Exception:    {order.Pulled, order.Claimed, order.Verified, order.Weighed, order.LabelBought, order.Cancelled},
	order.Dispatched:   nil,
	order.Cancelled:    nil,
}

// CanTransition reports whether the pack flow allows from → to.
func CanTransition(from, to order.State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Transition moves o to state to, or refuses with ErrIllegalTransition.
func Transition(o *order.Order, to order.State) error {
	if !to.Valid() {
		return fmt.Errorf("order %s: unknown state %q: %w", o.ID, to, ErrIllegalTransition)
	}
	if !CanTransition(o.State, to) {
		return fmt.Errorf("order %s cannot go from %s to %s: %w", o.ID, o.State, to, ErrIllegalTransition)
	}
	o.State = to
	return nil
}

// Next lists the states reachable from s.
func Next(s order.State) []order.State {
	return append([]order.State(nil), transitions[s]...)
}
