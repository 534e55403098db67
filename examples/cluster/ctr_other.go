//go:build !linux

package main

import (
	"context"
	"errors"
	"os/exec"
)

var errCtrLinux = errors.New("--runtime containerd needs Linux (network namespaces, runc)")

func ctrCheck() error { return errCtrLinux }

func startCmd(cmd *exec.Cmd, nsPath string) error {
	if nsPath != "" {
		return errCtrLinux
	}
	cmd.SysProcAttr = procAttr()
	return cmd.Start()
}

func (c *cluster) ctrBridgeUp() error { return errCtrLinux }

func (c *cluster) ctrNodes(context.Context, func(int, string) []string) error { return errCtrLinux }

func (c *cluster) ctrKillNode(int) {}

func ctrSweep(string) error { return nil }

func ctrLeftovers(string) []string { return nil }

const ctrImage = "docker.io/coxswain/demoapp"
