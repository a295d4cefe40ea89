"""GitOps glue for CI: the GitHub REST client (`github`), the pull request of a workflow run (`event`) and
the plan comment's marker, lookup and size fitting (`comment`). Only the standard library's `urllib`:
the platform SDK and its HTTP client stay in `targets`."""
