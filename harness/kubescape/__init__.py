"""kubescape, the binary under test: built at a commit with the user's Go, given its offline policies.

- `tools`: runs git, go and regolibrary's exporter (the only place this package spawns).
- `build`: a ref in a checkout or bare clone → a binary in a cache keyed by commit, Go version and
  module replacements, with what `go version -m` says of it.
- `artifacts`: a regolibrary checkout → the folder kubescape reads with `--use-artifacts-from`.
- `variants`: a built binary → a bench variant that scans offline and reproducibly.

Must not: judge, render or command (no harness.judge, harness.report, harness.commands); it never
touches the user's checkout (sources are exported with `git archive`) and commits no kubescape code.
"""
