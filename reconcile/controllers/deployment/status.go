package deployment

import (
	"fmt"

	"github.com/coxswain/coxswain/types"
)

// RolloutStatus describes a rollout from the Deployment's status alone, with
// kubectl rollout status's exact messages: done is true once the rollout
// finished; err (wrapping ErrProgressDeadlineExceeded) reports a rollout
// that exceeded its progress deadline.
func RolloutStatus(d *types.Deployment) (msg string, done bool, err error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...\n", false, nil
	}
	if c := condition(&d.Status, types.DeploymentProgressing); c != nil && c.Reason == ReasonTimedOut {
		return "", false, fmt.Errorf("deployment %q %w", d.Name, ErrProgressDeadlineExceeded)
	}
	st := d.Status
	if d.Spec.Replicas != nil && st.UpdatedReplicas < *d.Spec.Replicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...\n",
			d.Name, st.UpdatedReplicas, *d.Spec.Replicas), false, nil
	}
	if st.Replicas > st.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...\n",
			d.Name, st.Replicas-st.UpdatedReplicas), false, nil
	}
	if st.AvailableReplicas < st.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n",
			d.Name, st.AvailableReplicas, st.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out\n", d.Name), true, nil
}
