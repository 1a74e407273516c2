package scalesim

import "errors"

func (s *Sim) startPTYLocked() error {
	return errors.New("sim: pseudo-terminals need Linux; use ServeTCP")
}
