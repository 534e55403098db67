package master

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/coxswain/coxswain/store"
	"github.com/coxswain/coxswain/store/remote"
)

// BackupPath is the API server path that answers GET with a consistent copy
// of the store (store.DB.Backup). It is a non-resource URL: RBAC lets
// cluster admins (system:masters) read it, and nobody else by default.
const BackupPath = "/coxswain/v1/backup"

// backupHandler serves BackupPath. The copy is written to a temporary file
// first, so that a failure is an error status rather than a cut-off body.
func backupHandler(db *store.DB, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", http.MethodGet)
			http.Error(w, "the backup is read with GET", http.StatusMethodNotAllowed)
			return
		}
		f, err := os.CreateTemp("", "coxswain-backup-")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(f.Name())
		defer f.Close()
		if err := db.Backup(r.Context(), f); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		size, err := f.Seek(0, io.SeekCurrent)
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", fmt.Sprint(size))
		if _, err := io.Copy(w, f); err != nil {
			log.Warn("sending a backup", "err", err)
			return
		}
		log.Info("backup sent", "bytes", size, "to", r.RemoteAddr)
	})
}

// backupMain is `master backup --kubeconfig F --out FILE`: it fetches a
// backup from the cluster with an admin client config.
func backupMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("master backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kc := fs.String("kubeconfig", "./cluster/admin.conf", "admin client config (made by master init)")
	out := fs.String("out", "", "file to write the backup to (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "master backup: --out FILE is required, and nothing else")
		return 2
	}
	if err := Backup(ctx, *kc, *out); err != nil {
		fmt.Fprintln(stderr, "master backup:", err)
		return 1
	}
	st, _ := os.Stat(*out)
	fmt.Fprintf(stdout, "Backup written to %s (%d bytes).\n", *out, st.Size())
	return 0
}

// Backup fetches a consistent copy of the cluster's store through the API
// server at the client config kubeconfig and writes it to out (atomically:
// a temporary file renamed at the end).
func Backup(ctx context.Context, kubeconfig, out string) error {
	cc, err := remote.LoadClientConfig(kubeconfig)
	if err != nil {
		return fmt.Errorf("reading the client config %s: %w", kubeconfig, err)
	}
	cc.MaxRetryTime = 10 * time.Second
	cl, err := remote.Dial(cc)
	if err != nil {
		return err
	}
	defer cl.Close()
	b, err := cl.Raw(ctx, http.MethodGet, BackupPath, nil)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errors.New("the server sent an empty backup")
	}
	tmp := out + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// restoreMain is `master restore --from FILE --data-dir DIR`.
func restoreMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("master restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "backup file made by master backup (required)")
	dataDir := fs.String("data-dir", "", "new, empty store directory for the first master of the restored cluster (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *dataDir == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "master restore: --from FILE and --data-dir DIR are required")
		return 2
	}
	if err := Restore(*from, *dataDir); err != nil {
		fmt.Fprintln(stderr, "master restore:", err)
		return 1
	}
	abs, _ := filepath.Abs(*dataDir)
	fmt.Fprintf(stdout, "Store directory %s is ready. Start the first master of the restored cluster on it:\n  master run --data-dir %s [--peers ...]\n", abs, abs)
	return 0
}

// Restore prepares dataDir (new or empty) from the backup file from: a
// master run on it starts a new cluster with the backup's objects, and
// revisions continue after the backup's (store.RestoreBackup).
func Restore(from, dataDir string) error {
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	return store.RestoreBackup(f, dataDir)
}
