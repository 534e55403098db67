package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/coxswain/coxswain/store/remote"
)

func cmdCreate(ctx context.Context, e *env, args []string) error {
	fs := flags("create")
	ttl := fs.Duration("ttl", 24*time.Hour, "how long the token is valid (0: forever)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "token" {
		return usagef("create supports only: create token")
	}
	cl, err := e.client()
	if err != nil {
		return err
	}
	tok, err := remote.NewBootstrapToken(rand.Reader)
	if err != nil {
		return err
	}
	var exp time.Time
	if *ttl > 0 {
		exp = time.Now().Add(*ttl)
	}
	sec, err := remote.BootstrapTokenSecret(tok, exp, nil)
	if err != nil {
		return err
	}
	if _, err := cl.Create(ctx, sec); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, tok)
	return nil
}

func cmdVersion(ctx context.Context, e *env, _ []string) error {
	fmt.Fprintln(e.stdout, "Client Version: coxswain ctl (examples/ctl)")
	cl, err := e.client()
	if err != nil {
		return err
	}
	b, err := cl.Raw(ctx, "GET", "/version", nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Server Version: %s\n", strings.TrimSpace(string(b)))
	return nil
}

func cmdCompletion(_ context.Context, e *env, args []string) error {
	if len(args) != 1 {
		return usagef("completion needs bash or zsh")
	}
	var names []string
	for n := range commandTable() {
		names = append(names, n)
	}
	sort.Strings(names)
	words := strings.Join(names, " ")
	res := "pods deployments replicasets services endpoints nodes namespaces statefulsets daemonsets jobs cronjobs events configmaps secrets"
	switch args[0] {
	case "bash":
		fmt.Fprintf(e.stdout, `# bash completion for ctl: source <(ctl completion bash)
_ctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[1]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W %q -- "$cur"))
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "$prev" in
      get|describe|delete|scale) COMPREPLY=($(compgen -W %q -- "$cur")) ;;
      rollout) COMPREPLY=($(compgen -W "status history undo pause resume" -- "$cur")) ;;
      top) COMPREPLY=($(compgen -W "nodes pods" -- "$cur")) ;;
      completion) COMPREPLY=($(compgen -W "bash zsh" -- "$cur")) ;;
      *) COMPREPLY=($(compgen -f -- "$cur")) ;;
    esac
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -F _ctl ctl
`, words, res)
	case "zsh":
		fmt.Fprintf(e.stdout, `#compdef ctl
# zsh completion for ctl: source <(ctl completion zsh)
_ctl() {
  if (( CURRENT == 2 )); then
    compadd -- %s
  elif (( CURRENT == 3 )); then
    case $words[2] in
      get|describe|delete|scale) compadd -- %s ;;
      rollout) compadd -- status history undo pause resume ;;
      top) compadd -- nodes pods ;;
      completion) compadd -- bash zsh ;;
      *) _files ;;
    esac
  else
    _files
  fi
}
compdef _ctl ctl
`, words, res)
	default:
		return usagef("completion: unknown shell %q: want bash or zsh", args[0])
	}
	return nil
}
