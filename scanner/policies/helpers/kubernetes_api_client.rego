# kubescape's rules may import data.kubernetes.api.client to query the API server while they are
# evaluated. ksbench scans are a pure function of the collected objects, so the package exists
# (such rules compile) and its resources are empty: a rule that needs a live query finds nothing.
package kubernetes.api.client

resources := []
