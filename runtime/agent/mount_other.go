//go:build !linux

package agent

import "errors"

func mountTmpfs(string) error { return errors.ErrUnsupported }

func unmount(string) error { return nil }
